"""Queue the provider's work in the outbox, inside the transaction of the change that causes it.

Kept free of register imports: the register's services call it, and the worker's handlers in
kir.exports.provider_services do the work (render, hash, sign, store one row).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from kir.outbox.services import outbox_enqueue


def csaf_entry_enqueue(*, issue_id: int) -> None:
    """Refresh the issue's provider entry once the change commits. Several refreshes of one
    issue may be queued; each renders the issue as it then is, and one that finds the stored
    document unchanged writes nothing."""
    outbox_enqueue(
        kind="csaf_entry",
        key=f"csaf-entry:{issue_id}:{uuid.uuid4().hex}",
        payload={"issue_id": issue_id},
    )


def csaf_anchor_enqueue(*, slot: int, delay_seconds: float = 0) -> None:
    """Publish the audit anchor in the time slot `slot` (one job per slot, whoever asks)."""
    outbox_enqueue(
        kind="csaf_anchor",
        key=f"csaf-anchor:{slot}",
        payload={"slot": slot},
        delay=timedelta(seconds=delay_seconds),
    )
