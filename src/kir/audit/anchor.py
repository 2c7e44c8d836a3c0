"""Anchors of the audit chain: its length and head hash, kept outside the database.

The chain shows any changed or removed event except the last ones: delete the newest events
and what is left is still a valid chain. An anchor taken earlier (`kir audit anchor`, kept
where the database's owner cannot rewrite it: published to Parties, in a bulletin, a file
elsewhere) says how long the chain was and what its head was; `kir audit verify --anchor`
then proves the chain still holds that event at that position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kir.audit.chain import GENESIS_HASH
from kir.audit.models import AuditEvent

_LINE = re.compile(r"^kir-audit-anchor v1 count=(\d+) head=([0-9a-f]{64})$")


class AnchorError(ValueError):
    pass


@dataclass(frozen=True)
class Anchor:
    count: int
    head: str

    def line(self) -> str:
        return f"kir-audit-anchor v1 count={self.count} head={self.head}"

    @staticmethod
    def parse(text: str) -> Anchor:
        match = _LINE.match(text.strip())
        if match is None:
            raise AnchorError(
                f"{text.strip()[:80]!r} is not an anchor "
                "(expected 'kir-audit-anchor v1 count=N head=<64 hex digits>')"
            )
        return Anchor(int(match[1]), match[2])


def audit_anchor() -> Anchor:
    """The chain as it stands: its number of events and the hash of the newest."""
    newest = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return Anchor(AuditEvent.objects.count(), newest or GENESIS_HASH)


def anchor_mismatch(anchor: Anchor) -> str | None:
    """Why the chain (already verified link by link) does not hold the anchor, or None."""
    total = AuditEvent.objects.count()
    if total < anchor.count:
        return (
            f"the chain has {total} events, fewer than the {anchor.count} "
            "of the anchor: events were removed from its end"
        )
    events = AuditEvent.objects.order_by("id").values_list("hash", flat=True)
    held = events[anchor.count - 1] if anchor.count else GENESIS_HASH
    if held != anchor.head:
        return f"event {anchor.count} of the chain is not the anchor's head"
    return None
