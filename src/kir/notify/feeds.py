"""Atom feeds of the published register, one URL per user, answering what that user may see.

The token in a feed URL is `<user id>.<generation>.<HMAC of both under SECRET_KEY>`, so the
tokens page can show a user's URL again at any time without storing a secret, and making a new
generation (or revoking) ends every URL made before. Changing SECRET_KEY ends them all.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kir.accounts.models import User
from kir.accounts.permissions import Permission, user_has_permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.models import FeedKey


def _signature(user_id: int, generation: int) -> str:
    message = f"kir-feed:{user_id}:{generation}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def feed_token(key: FeedKey) -> str:
    return f"{key.user_id}.{key.generation}.{_signature(key.user_id, key.generation)}"


def feed_token_of(user: User) -> str | None:
    key = FeedKey.objects.filter(user=user, revoked_at=None).first()
    return feed_token(key) if key is not None else None


def user_for_feed_token(token: str) -> User | None:
    """The user whose current, unrevoked feed token this is, if they may still read."""
    try:
        user_id, generation, signature = token.split(".")
        ids = int(user_id), int(generation)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _signature(*ids)):
        return None
    key = (
        FeedKey.objects.filter(user_id=ids[0], generation=ids[1], revoked_at=None)
        .select_related("user__organisation")
        .first()
    )
    if key is None or not user_has_permission(key.user, Permission.VIEW_REGISTER):
        return None
    return key.user


@transaction.atomic
def feed_key_renew(*, user: User) -> FeedKey:
    """A feed URL for the user; any URL it had before stops answering."""
    key, created = FeedKey.objects.select_for_update().get_or_create(user=user)
    if not created:
        key.generation += 1
        key.revoked_at = None
        key.save(update_fields=["generation", "revoked_at", "created_at"])
    audit_record(
        actor=user,
        verb=AuditEventType.FEED_KEY_RENEWED,
        target=key,
        data={"generation": key.generation},
    )
    return key


@transaction.atomic
def feed_key_revoke(*, user: User) -> bool:
    revoked = FeedKey.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    if revoked:
        audit_record(
            actor=user,
            verb=AuditEventType.FEED_KEY_REVOKED,
            target=("notify.feedkey", str(user.pk)),
        )
    return bool(revoked)
