"""`kir csaf key create`, `kir csaf key rotate [--retire-old]`, `kir csaf rebuild`,
`kir csaf anchor`: the CSAF provider's signing key and directory (docs/operations.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kir.exports.provider_services import csaf_anchor_publish, csaf_rebuild
from kir.exports.signing import (
    SigningError,
    gnupg_home,
    key_create,
    key_retire,
    public_keys,
    signing_fingerprint,
)


class Command(BaseCommand):
    help = "The CSAF provider: its OpenPGP signing key and its stored directory."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        key = actions.add_parser("key", help="The signing key held by gpg.")
        steps = key.add_subparsers(dest="step", required=True, metavar="STEP")
        create = steps.add_parser("create", help="Create the signing key (refused if one exists).")
        create.add_argument(
            "--if-missing", action="store_true", help="do nothing when a key exists (`make demo`)"
        )
        rotate = steps.add_parser(
            "rotate", help="Create a new signing key and re-sign every document with it."
        )
        rotate.add_argument(
            "--retire-old",
            action="store_true",
            help="remove the earlier keys from the keyring, and so from the metadata",
        )
        steps.add_parser("show", help="Print the keys published and the one signing.")
        actions.add_parser(
            "rebuild", help="Refresh every document's entry (backfill; O(n), run rarely)."
        )
        actions.add_parser("anchor", help="Publish a freshly signed audit anchor now.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "key":
                self._key(
                    options["step"],
                    retire_old=options.get("retire_old", False),
                    if_missing=options.get("if_missing", False),
                )
            elif options["action"] == "rebuild":
                self.stdout.write(f"{csaf_rebuild()} documents in the provider directory")
            elif options["action"] == "anchor":
                self.stdout.write(csaf_anchor_publish().line.strip())
        except SigningError as error:
            raise CommandError(str(error)) from None

    def _key(self, step: str, *, retire_old: bool, if_missing: bool) -> None:
        if step == "show":
            signer = signing_fingerprint()
            for key in public_keys():
                mark = "signing" if key.fingerprint == signer else "published"
                self.stdout.write(f"{key.fingerprint} {mark} {key.user_id}")
            return
        earlier = [key.fingerprint for key in public_keys()]
        if step == "create" and earlier and if_missing:
            return
        if step == "create" and earlier:
            raise CommandError(
                f"{gnupg_home()} already holds a key ({earlier[0]}); "
                "use `kir csaf key rotate` to replace it"
            )
        fingerprint = key_create()
        self.stdout.write(f"signing key {fingerprint} in {gnupg_home()}")
        if retire_old:
            for old in earlier:
                key_retire(old)
                self.stdout.write(f"retired {old}")
        self.stdout.write(f"{csaf_rebuild(resign=True)} documents signed with {fingerprint}")
