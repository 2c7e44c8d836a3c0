"""Writes to the audit log. Only `audit_record` creates events; nothing updates or deletes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction

from kir.accounts.models import Organisation, User
from kir.audit.chain import GENESIS_HASH, canonical_json, event_payload, link_hash
from kir.audit.events import AuditEventType
from kir.audit.models import AuditEvent

# Any constant: the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x4B4952


def _lock_chain() -> None:
    # SQLite runs write transactions in IMMEDIATE mode (settings), which already serialises them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _target_parts(target: models.Model | tuple[str, str] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target
    return target._meta.label_lower, str(target.pk)


@transaction.atomic
def audit_record(
    *,
    actor: User | None,
    verb: AuditEventType,
    target: models.Model | tuple[str, str] | None = None,
    data: dict[str, Any] | None = None,
    organisation: Organisation | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    if not isinstance(verb, AuditEventType):
        # A plain string would let a typo record an event type no reader can list.
        raise TypeError(f"audit verb must be an AuditEventType member, not {verb!r}")
    _lock_chain()
    if organisation is None and actor is not None:
        organisation = actor.organisation
    target_type, target_id = _target_parts(target)
    # Round-trip through JSON so the stored value hashes the same when read back.
    clean_data = json.loads(canonical_json(data or {}))
    created_at = datetime.now(UTC)
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    previous_hash = previous or GENESIS_HASH
    actor_name = actor.get_username() if actor is not None else "system"
    payload = event_payload(
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor_name,
        organisation_id=organisation.pk if organisation is not None else None,
        verb=verb.value,
        target_type=target_type,
        target_id=target_id,
        data=clean_data,
        created_at=created_at,
    )
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor_name,
        organisation=organisation,
        verb=verb.value,
        target_type=target_type,
        target_id=target_id,
        data=clean_data,
        created_at=created_at,
        previous_hash=previous_hash,
        hash=link_hash(payload, previous_hash),
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify_chain() -> ChainReport:
    """Walk the chain in order and report the first link whose hash or back-pointer is wrong."""
    previous_hash = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != previous_hash:
            return ChainReport(checked, event.pk, "previous_hash does not match the prior event")
        payload = event_payload(
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            organisation_id=event.organisation_id,
            verb=event.verb,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
            created_at=event.created_at.astimezone(UTC),
        )
        if link_hash(payload, previous_hash) != event.hash:
            return ChainReport(checked, event.pk, "content does not match its hash")
        previous_hash = event.hash
        checked += 1
    return ChainReport(checked)
