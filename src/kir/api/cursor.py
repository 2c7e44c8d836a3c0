"""Stable cursor pagination for large lists: an opaque cursor on (sort key, id).

A page is the `limit` rows after the cursor's position in (sort key, id) order; rows added or
removed elsewhere never shift it, unlike an offset. The cursor is URL-safe base64 of a JSON pair;
clients pass it back unchanged (`next_cursor`)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from kir.register.errors import ValidationFailed

MAX_LIMIT = 500
MAX_KEY_LENGTH = 200
ModelT = TypeVar("ModelT", bound=Model)


@dataclass(frozen=True)
class CursorPage(Generic[ModelT]):
    items: list[ModelT]
    next_cursor: str | None


def encode_cursor(key: Any, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([key, pk]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, int]:
    """The (sort key, id) of a cursor; ValidationFailed naming `cursor` for anything else."""
    try:
        key, pk = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise ValidationFailed({"cursor": ["Not a cursor this API gave out."]}) from None
    # Anything the API did not give out is refused before the database sees it: a NUL or an id
    # past 64 bits would be an engine error, not an answer.
    if (
        not isinstance(key, str)
        or "\x00" in key
        or len(key) > MAX_KEY_LENGTH
        or not isinstance(pk, int)
        or isinstance(pk, bool)
        or not 0 <= pk < 2**63
    ):
        raise ValidationFailed({"cursor": ["Not a cursor this API gave out."]})
    return key, pk


def cursor_page(
    queryset: QuerySet[ModelT], *, key: str, cursor: str | None, limit: int
) -> CursorPage[ModelT]:
    """The page of `queryset` after `cursor` in (`key`, id) order."""
    rows = queryset.order_by(key, "pk")
    if cursor:
        after_key, after_pk = decode_cursor(cursor)
        rows = rows.filter(
            Q(**{f"{key}__gt": after_key}) | Q(**{key: after_key, "pk__gt": after_pk})
        )
    items = list(rows[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    last = items[-1] if items and more else None
    next_cursor = encode_cursor(_value(last, key), last.pk) if last is not None else None
    return CursorPage(items, next_cursor)


def _value(row: Model, key: str) -> Any:
    value: Any = row
    for part in key.split("__"):
        value = getattr(value, part)
    return value
