"""`kir catalogue import-cpl FILE [--dry-run] [--actor USERNAME]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kir.accounts.models import User
from kir.catalogue.cpl import CplFileError, parse_cpl_file
from kir.catalogue.cpl_import import (
    CplImportNotAllowed,
    CplImportRefused,
    cpl_import_rows,
    user_may_import_cpl,
)


class Command(BaseCommand):
    help = "Manage the device catalogue. import-cpl FILE: import a CPL extract (CSV or XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        importer = actions.add_parser(
            "import-cpl",
            help="Import a Central Products List extract; all rows are checked before saving.",
        )
        importer.add_argument("file", type=Path, help="a .csv or .xlsx file, see docs/catalogue.md")
        importer.add_argument(
            "--dry-run", action="store_true", help="check and report, but save nothing"
        )
        importer.add_argument(
            "--actor", default=None, help="username recorded in the audit log (default: system)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import-cpl":
            self.import_cpl(options["file"], dry_run=options["dry_run"], actor=options["actor"])

    def import_cpl(self, path: Path, *, dry_run: bool, actor: str | None) -> None:
        user = self.find_actor(actor)
        source = str(path)
        if not path.is_file():
            raise CommandError(f"{source}: no such file")
        try:
            parsed = parse_cpl_file(path)
        except CplFileError as error:
            raise CommandError(f"{source}: {error}") from None
        problems = parsed.problems
        if not problems:
            try:
                report = cpl_import_rows(
                    rows=parsed.rows, actor=user, source=source, dry_run=dry_run
                )
            except CplImportRefused as refused:
                problems = refused.problems
            except CplImportNotAllowed as refused:
                raise CommandError(str(refused)) from None
        if problems:
            for problem in problems:
                self.stderr.write(problem.format(source))
            bad_rows = len({p.row for p in problems})
            raise CommandError(
                f"{source}: {bad_rows} bad row{'s' if bad_rows != 1 else ''}; nothing imported"
            )
        self.stdout.write(f"{source}: {report.summary()}")
        for entry in report.changed_entries:
            self.stdout.write(f"  changed: {entry}")

    def find_actor(self, username: str | None) -> User | None:
        if username is None:
            return None
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"--actor {username}: no such user") from None
        # Checked before the file is read; the service checks again.
        if not user_may_import_cpl(user):
            raise CommandError(
                f"--actor {username}: may not import the catalogue "
                "(only administrators of SECAS or DCC may)"
            )
        return user
