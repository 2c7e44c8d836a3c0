"""`kir audit verify [--anchor FILE]`: walk the hash chain and report the first broken link;
`kir audit anchor`: print the chain's length and head hash, to keep outside the database."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kir.audit.anchor import Anchor, AnchorError, anchor_mismatch, audit_anchor
from kir.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks every link of the hash chain."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser(
            "verify", help="Walk the chain; exit non-zero at the first broken link."
        )
        verify.add_argument(
            "--anchor",
            type=Path,
            help="a file holding a line from `kir audit anchor`: the chain must still hold it",
        )
        actions.add_parser(
            "anchor", help="Print the chain's length and head hash (publish or keep it elsewhere)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(self._anchor(options["anchor"]) if options["anchor"] else None)
        elif options["action"] == "anchor":
            self.stdout.write(audit_anchor().line())

    def _anchor(self, path: Path) -> Anchor:
        try:
            return Anchor.parse(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"{path}: cannot be read: {error.strerror}") from None
        except (AnchorError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from None

    def _verify(self, anchor: Anchor | None) -> None:
        report = audit_verify_chain()
        if not report.ok:
            raise CommandError(
                f"BROKEN: event {report.broken_at}: {report.reason} "
                f"({report.checked} events before it verified)",
                returncode=1,
            )
        if anchor is None:
            self.stdout.write(f"OK: {report.checked} events verified")
            return
        mismatch = anchor_mismatch(anchor)
        if mismatch is not None:
            raise CommandError(f"BROKEN: {mismatch}", returncode=1)
        self.stdout.write(
            f"OK: {report.checked} events verified; event {anchor.count} is the anchor's head"
        )
