"""Writes for accounts: organisations, users, personal API tokens and passwords, each with its
audit event. No event ever carries a password, its hash or a token secret."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kir.accounts.models import ApiToken, Organisation, User
from kir.accounts.permissions import Permission, user_has_permission
from kir.accounts.selectors import user_is_member
from kir.accounts.tokens import display_prefix, generate_secret, hash_secret, looks_like_secret
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
        verb="accounts.token_created",
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
        verb="accounts.token_revoked",
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


def _record_use(token: ApiToken, now: datetime) -> None:
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    # Conditional UPDATE: concurrent requests within the same minute write at most once.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff)
    ).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def organisation_create(
    *, actor: User | None, slug: str, name: str, category: str, contact_email: str = ""
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
        verb="accounts.organisation_created",
        target=organisation,
        data={"slug": slug, "name": organisation.name, "category": category},
    )
    return organisation


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    organisation: Organisation,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_staff: bool = False,
) -> User:
    """A new member of `organisation` with `role`. The password is the caller's to validate (forms
    run Django's validators); only its salted hash is stored, and the audit event omits it."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        organisation=organisation,
        role=role,
        is_staff=is_staff,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        verb="accounts.user_created",
        target=user,
        data={"username": username, "organisation": organisation.slug, "role": role},
    )
    return user


def _store_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password"])


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> None:
    """Set a new password (already validated by the form) and record that it changed."""
    _store_password(user, new_password)
    audit_record(actor=user, verb="accounts.password_changed", target=user)


@transaction.atomic
def user_reset_password(*, user: User, new_password: str, actor: User | None) -> None:
    """Someone other than the user (an administrator, or the system when `actor` is None) sets
    the user's password; recorded apart from a change the user made themselves."""
    _store_password(user, new_password)
    audit_record(
        actor=actor,
        verb="accounts.password_reset",
        target=user,
        data={"username": user.get_username()},
    )
