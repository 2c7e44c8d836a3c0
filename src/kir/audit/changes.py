"""What an edit changes, in the shape audit events record it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def changed_fields(obj: object, wanted: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (current, wanted)} for the wanted values that differ from the object's, so an
    edit that changes nothing writes nothing and records nothing."""
    changes = {}
    for name, value in wanted.items():
        current = getattr(obj, name)
        if current != value:
            changes[name] = (current, value)
    return changes
