"""`kir demo seed`: load the demo organisations, users and catalogue, then print the logins.
`kir demo logins` prints them again (`make demo` does, once the server answers)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from kir.web.demo.people import DEMO_PASSWORD, ORGANISATIONS, USERS
from kir.web.demo.seed import DemoRefused, register_seeder, seed_demo

FILE_EMAIL = "django.core.mail.backends.filebased.EmailBackend"


class Command(BaseCommand):
    help = "Demo data. seed: organisations, users of every role, catalogue, DMCs (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("seed", help="load the demo data; running it again changes nothing")
        actions.add_parser("logins", help="print the demo logins and their password")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "logins":
            self.print_logins()
            return
        try:
            # Notices sent while seeding go to invented .example addresses: files under
            # EMAIL_FILE_PATH, never a mail relay (and never a failure for a missing one).
            with override_settings(EMAIL_BACKEND=FILE_EMAIL):
                summary = seed_demo()
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"Demo data: {summary.organisations_created} organisations and "
            f"{summary.users_created} users created; catalogue {summary.catalogue}; "
            f"{summary.dmcs_created} DMCs created."
        )
        if register_seeder() is None:
            self.stdout.write(
                "Register demo issues: not available (no kir.register.demo.seed_register_demo)."
            )
        elif summary.register is not None:
            self.stdout.write(f"Register demo issues: {summary.register}")
        self.stdout.write(
            f"Seeded e-mails are queued; the worker writes them under {settings.EMAIL_FILE_PATH}."
        )
        self.print_logins()

    def print_logins(self) -> None:
        names = {org.slug: org.name for org in ORGANISATIONS}
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        width = max(len(user.username) for user in USERS)
        for user in USERS:
            staff = ", admin site" if user.is_staff else ""
            self.stdout.write(
                f"  {user.username:<{width}}  {names[user.organisation]}, {user.role.label}{staff}"
            )
