"""Managing webhook endpoints: an organisation's administrators manage its own, SECAS
administrators anyone's. Every write is audited in its transaction; a secret is returned once,
at creation or rotation, and never shown again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission, user_has_permission
from kir.audit.events import AuditEventType
from kir.notify.webhooks.addresses import url_problems
from kir.notify.webhooks.events import EVENTS
from kir.notify.webhooks.models import WebhookEndpoint, WebhookSecret
from kir.notify.webhooks.owners import audit_endpoint, webhook_endpoint_disable_for_failures
from kir.notify.webhooks.signing import new_secret
from kir.register.errors import PermissionRefused, ValidationFailed

MAX_ENDPOINTS_PER_ORGANISATION = 10


def may_manage_webhooks(actor: User, organisation: Organisation) -> bool:
    own = getattr(actor, "organisation", None)
    return (
        own is not None
        and user_has_permission(actor, Permission.MANAGE_WEBHOOKS)
        and (own.pk == organisation.pk or own.is_secas)
    )


def _require_manager(actor: User, organisation: Organisation) -> None:
    if not may_manage_webhooks(actor, organisation):
        raise PermissionRefused(f"You may not manage the webhooks of {organisation.name}.")


def _validated(url: str, events: Iterable[str]) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    url = url.strip()
    if problems := url_problems(url):
        errors["url"] = problems
    chosen = list(dict.fromkeys(events))
    unknown = [name for name in chosen if name not in EVENTS]
    if unknown:
        errors["events"] = [f"Unknown events: {', '.join(unknown)}."]
    elif not chosen:
        errors["events"] = ["Choose at least one event."]
    if errors:
        raise ValidationFailed(errors)
    return url, chosen


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: User,
    organisation: Organisation,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (the only time the secret is returned)."""
    _require_manager(actor, organisation)
    url, chosen = _validated(url, events)
    if organisation.webhook_endpoints.count() >= MAX_ENDPOINTS_PER_ORGANISATION:
        raise ValidationFailed(
            {"url": [f"An organisation has at most {MAX_ENDPOINTS_PER_ORGANISATION} endpoints."]}
        )
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        events=chosen,
        description=description.strip()[:200],
        created_by=actor,
    )
    secret = WebhookSecret.objects.create(endpoint=endpoint, secret=new_secret())
    audit_endpoint(
        actor=actor,
        verb=AuditEventType.WEBHOOK_CREATED,
        endpoint=endpoint,
        events=chosen,
        secret=secret.pk,
    )
    return endpoint, secret.secret


@transaction.atomic
def webhook_secret_rotate(*, actor: User, endpoint: WebhookEndpoint) -> str:
    """A new secret that signs from now; the ones before keep signing beside it for
    WEBHOOK_ROTATION_OVERLAP_HOURS (Standard Webhooks: several signatures in one header)."""
    _require_manager(actor, endpoint.organisation)
    overlap_ends = timezone.now() + timedelta(hours=settings.WEBHOOK_ROTATION_OVERLAP_HOURS)
    WebhookSecret.objects.filter(endpoint=endpoint, expires_at__isnull=True).update(
        expires_at=overlap_ends
    )
    secret = WebhookSecret.objects.create(endpoint=endpoint, secret=new_secret())
    audit_endpoint(
        actor=actor,
        verb=AuditEventType.WEBHOOK_SECRET_ROTATED,
        endpoint=endpoint,
        secret=secret.pk,
        old_secrets_sign_until=overlap_ends.isoformat(),
    )
    return secret.secret


@transaction.atomic
def webhook_endpoint_enable(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_manager(actor, endpoint.organisation)
    previous = endpoint.disabled_reason
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=None, disabled_reason="", consecutive_failures=0
    )
    audit_endpoint(
        actor=actor,
        verb=AuditEventType.WEBHOOK_ENABLED,
        endpoint=endpoint,
        was_disabled_because=previous,
    )
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def webhook_endpoint_disable(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_manager(actor, endpoint.organisation)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(
        disabled_at=now, disabled_reason=f"disabled by {actor.get_username()}"
    )
    audit_endpoint(
        actor=actor,
        verb=AuditEventType.WEBHOOK_DISABLED,
        endpoint=endpoint,
        reason="by an administrator",
    )
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    _require_manager(actor, endpoint.organisation)
    audit_endpoint(
        actor=actor, verb=AuditEventType.WEBHOOK_DELETED, endpoint=endpoint, events=endpoint.events
    )
    endpoint.delete()


__all__ = [
    "may_manage_webhooks",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_disable",
    "webhook_endpoint_disable_for_failures",
    "webhook_endpoint_enable",
    "webhook_secret_rotate",
]
