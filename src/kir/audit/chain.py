"""The hash of one audit link: SHA-256 over canonical JSON of the event and the previous hash.

Pure functions, so `verify` recomputes exactly what `record` wrote.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_payload(
    *,
    actor_id: int | None,
    actor_name: str,
    organisation_id: int | None,
    verb: str,
    target_type: str,
    target_id: str,
    data: Any,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "actor_id": actor_id,
        "actor_name": actor_name,
        "organisation_id": organisation_id,
        "verb": verb,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
        # Microsecond ISO form in UTC: both databases round-trip it exactly.
        "created_at": created_at.isoformat(timespec="microseconds"),
    }


def link_hash(payload: dict[str, Any], previous_hash: str) -> str:
    body = canonical_json({"event": payload, "previous_hash": previous_hash})
    return hashlib.sha256(body.encode()).hexdigest()
