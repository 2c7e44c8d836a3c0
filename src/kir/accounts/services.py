"""Writes for accounts: organisations, users, personal API tokens and passwords, each with its
audit event. No event ever carries a password, its hash or a token secret."""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kir.accounts.models import ApiToken, Organisation, User
from kir.accounts.permissions import Permission, user_has_permission
from kir.accounts.selectors import user_is_member
from kir.accounts.tokens import display_prefix, generate_secret, hash_secret, looks_like_secret
from kir.audit.changes import changed_fields
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record

MAX_TOKEN_LIFETIME_DAYS = 366
# last_used_at is advisory; writing it on every request would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def token_create(*, user: User, name: str, expires_in_days: int) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with its secret, never stored nor shown again."""
    if not user_has_permission(user, Permission.MANAGE_OWN_TOKENS):
        raise PermissionDenied("This account may not hold API tokens.")
    clean_name = name.strip()
    if not clean_name:
        raise ValidationError({"name": "Give the token a name so you can recognise it later."})
    if len(clean_name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"name": "The name is too long (100 characters at most)."})
    if not 1 <= expires_in_days <= MAX_TOKEN_LIFETIME_DAYS:
        raise ValidationError(
            {"expires_in_days": f"Expiry must be 1 to {MAX_TOKEN_LIFETIME_DAYS} days."}
        )
    secret = generate_secret()
    token = ApiToken.objects.create(
        user=user,
        name=clean_name,
        prefix=display_prefix(secret),
        secret_hash=hash_secret(secret),
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    audit_record(
        actor=user,
        verb=AuditEventType.TOKEN_CREATED,
        target=token,
        data={"name": token.name, "prefix": token.prefix, "expires_at": token.expires_at},
    )
    return token, secret


def _may_revoke(*, actor: User, token: ApiToken) -> bool:
    if token.user_id == actor.pk:
        return user_has_permission(actor, Permission.MANAGE_OWN_TOKENS)
    # Administrators may cut off a leaked token of their own organisation; SECAS of anyone's.
    if not user_has_permission(actor, Permission.MANAGE_USERS) or actor.organisation is None:
        return False
    return actor.organisation.is_secas or actor.organisation_id == token.user.organisation_id


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke `token` now. Revoking an already revoked token changes nothing."""
    if not _may_revoke(actor=actor, token=token):
        raise PermissionDenied("You may not revoke this token.")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        verb=AuditEventType.TOKEN_REVOKED,
        target=locked,
        data={"name": locked.name, "prefix": locked.prefix, "owner": token.user.get_username()},
    )
    return locked


def token_authenticate(secret: str) -> User | None:
    """The user a presented secret belongs to, or None if it is wrong, expired or revoked.

    The lookup is by SHA-256 of the secret, so timing reveals nothing about a stored secret; the
    final compare_digest guards against a database collation that compares loosely.
    """
    if not looks_like_secret(secret):
        return None
    digest = hash_secret(secret)
    token = (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(secret_hash=digest)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    if not user_is_member(token.user):
        return None
    _record_use(token, now)
    return token.user


@contextmanager
def _not_waiting_for_sqlite_writers() -> Iterator[None]:
    """On SQLite, fail at once instead of waiting the busy timeout for another writer."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def _record_use(token: ApiToken, now: datetime) -> None:
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    # The time is a hint for the token's owner: while another process holds SQLite's write lock
    # (a long import), the request goes on without it rather than wait or fail; the next use
    # records it.
    try:
        with _not_waiting_for_sqlite_writers(), transaction.atomic():
            # Conditional UPDATE: concurrent requests within the same minute write at most once.
            ApiToken.objects.filter(pk=token.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff)
            ).update(last_used_at=now)
    except OperationalError:
        return
    token.last_used_at = now


# What the admin may change through organisation_update and user_update. Passwords are not
# among them: they change only through user_change_password and user_reset_password.
ORGANISATION_FIELDS = ("name", "slug", "category", "contact_email")
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "organisation",
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
    "last_login",
    "date_joined",
)
# Django-level powers beyond the role table, which only a superuser may hand out.
SUPERUSER_FIELDS = frozenset({"is_superuser", "groups", "user_permissions"})


def _via(via: str | None) -> dict[str, str]:
    """The surface a write came through (the admin says so), recorded only when given."""
    return {"via": via} if via else {}


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    slug: str,
    name: str,
    category: str,
    contact_email: str = "",
    via: str | None = None,
) -> Organisation:
    """A new SEC Party organisation; a taken slug or name, or an unknown category, is refused
    with a ValidationError naming the field, and nothing is written."""
    organisation = Organisation(
        slug=slug, name=name.strip(), category=category, contact_email=contact_email
    )
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        verb=AuditEventType.ORGANISATION_CREATED,
        target=organisation,
        data={**_via(via), "slug": slug, "name": organisation.name, "category": category},
    )
    return organisation


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(_jsonable(item) for item in value)
    return value


def _save_changes(
    locked: models.Model,
    changes: Mapping[str, Any],
    editable: tuple[str, ...],
    *,
    actor: User | None,
    verb: AuditEventType,
    via: str | None,
) -> None:
    """Validate and save the fields of `changes` that differ from the locked row, and record
    them under `verb`; a refusal raises before anything is written, no change records nothing."""
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ValueError(f"not editable here: {', '.join(unknown)}")
    m2m = {field.name for field in locked._meta.many_to_many}
    plain = changed_fields(locked, {k: v for k, v in changes.items() if k not in m2m})
    for name, (_, value) in plain.items():
        setattr(locked, name, value)
    locked.full_clean()
    related = {
        name: value
        for name, value in changes.items()
        if name in m2m and _jsonable(getattr(locked, name).all()) != _jsonable(value)
    }
    if plain:
        locked.save(update_fields=list(plain))
    for name, value in related.items():
        getattr(locked, name).set(value)
    changed = {name: value for name, (_, value) in plain.items()} | related
    if changed:
        data = {name: _jsonable(value) for name, value in changed.items()}
        audit_record(actor=actor, verb=verb, target=locked, data={**_via(via), **data})


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    changes: Mapping[str, Any],
    actor: User | None,
    via: str | None = None,
) -> Organisation:
    """Change an organisation's fields (ORGANISATION_FIELDS). Invalid values are refused with a
    ValidationError naming the field, and nothing is written; no change records nothing."""
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _save_changes(
        locked,
        changes,
        ORGANISATION_FIELDS,
        actor=actor,
        verb=AuditEventType.ORGANISATION_CHANGED,
        via=via,
    )
    return locked


@transaction.atomic
def organisation_delete(
    *, organisation: Organisation, actor: User | None, via: str | None = None
) -> None:
    """Delete an organisation. One that still has users is protected: the ProtectedError rolls
    the audit event back with it."""
    audit_record(
        actor=actor,
        verb=AuditEventType.ORGANISATION_DELETED,
        target=organisation,
        data={**_via(via), "name": organisation.name, "slug": organisation.slug},
    )
    organisation.delete()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    organisation: Organisation | None,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_staff: bool = False,
    via: str | None = None,
) -> User:
    """A new member of `organisation` with `role`. The password is the caller's to validate (forms
    run Django's validators); only its salted hash is stored, and the audit event omits it.
    Without a password (None) the user cannot sign in with one."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        organisation=organisation,
        role=role,
        is_staff=is_staff,
    )
    _set_password(user, password)
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        verb=AuditEventType.USER_CREATED,
        target=user,
        data={
            **_via(via),
            "username": username,
            "organisation": organisation.slug if organisation is not None else None,
            "role": role,
        },
    )
    return user


@transaction.atomic
def user_update(
    *, user: User, changes: Mapping[str, Any], actor: User | None, via: str | None = None
) -> User:
    """Change a user's fields (USER_FIELDS). Only a superuser (or the system, `actor` None) may
    change SUPERUSER_FIELDS; invalid values are refused with a ValidationError naming the field.
    A refusal writes nothing; no change records nothing."""
    powers = sorted(SUPERUSER_FIELDS & set(changes))
    if powers and actor is not None and not actor.is_superuser:
        raise PermissionDenied(f"Only a superuser may change {', '.join(powers)}.")
    locked = User.objects.select_for_update().get(pk=user.pk)
    _save_changes(
        locked, changes, USER_FIELDS, actor=actor, verb=AuditEventType.USER_CHANGED, via=via
    )
    return locked


@transaction.atomic
def user_delete(*, user: User, actor: User | None, via: str | None = None) -> None:
    """Delete a user. One named as the actor of audit events is protected: the ProtectedError
    rolls this deletion's own event back with it."""
    audit_record(
        actor=actor,
        verb=AuditEventType.USER_DELETED,
        target=user,
        data={**_via(via), "username": user.get_username()},
    )
    user.delete()


def _set_password(user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)


def _store_password(user: User, new_password: str | None) -> None:
    _set_password(user, new_password)
    user.save(update_fields=["password"])


@transaction.atomic
def user_change_password(*, user: User, new_password: str, keep_tokens: bool = False) -> None:
    """Set a new password (already validated by the form) and record that it changed.

    A password is changed most often because it may be known to someone else, who may also
    have made a token with it: the user's personal API tokens are revoked unless the user
    chooses to keep them. (Other sessions end by themselves: their hash no longer matches.)"""
    _store_password(user, new_password)
    revoked = 0
    if not keep_tokens:
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        revoked = active.update(revoked_at=timezone.now())
    audit_record(
        actor=user,
        verb=AuditEventType.PASSWORD_CHANGED,
        target=user,
        data={"tokens_revoked": revoked},
    )


@transaction.atomic
def user_reset_password(
    *, user: User, new_password: str | None, actor: User | None, via: str | None = None
) -> None:
    """Someone other than the user (an administrator, or the system when `actor` is None) sets
    the user's password, or disables password sign-in with None; recorded apart from a change
    the user made themselves."""
    _store_password(user, new_password)
    data: dict[str, Any] = {**_via(via), "username": user.get_username()}
    if new_password is None:
        data["password_disabled"] = True
    audit_record(actor=actor, verb=AuditEventType.PASSWORD_RESET, target=user, data=data)


@transaction.atomic
def user_unlock_sign_in(*, user: User, actor: User | None) -> int:
    """Clear the failed sign-in attempts Axes recorded for `user` (one record per address and
    browser), ending a pause before its cool-off; returns how many records were cleared."""
    cleared = axes_reset(username=user.get_username())
    audit_record(
        actor=actor,
        verb=AuditEventType.SIGN_IN_UNLOCKED,
        target=user,
        data={"username": user.get_username(), "records_cleared": cleared},
    )
    return cleared
