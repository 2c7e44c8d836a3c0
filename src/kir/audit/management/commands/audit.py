"""`kir audit verify`: walk the hash chain and report the first broken link."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kir.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks every link of the hash chain."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("verify", help="Walk the chain; exit non-zero at the first broken link.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify()

    def _verify(self) -> None:
        report = audit_verify_chain()
        if report.ok:
            self.stdout.write(f"OK: {report.checked} events verified")
            return
        raise CommandError(
            f"BROKEN: event {report.broken_at}: {report.reason} "
            f"({report.checked} events before it verified)",
            returncode=1,
        )
