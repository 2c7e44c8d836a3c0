"""An endpoint's owners, and disabling an endpoint that keeps failing (they are told)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import ROLE_PERMISSIONS, Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.services import notifications_enqueue
from kir.notify.webhooks.models import WebhookEndpoint
from kir.outbox.mail import email_enqueue

MANAGING_ROLES = [
    role for role, held in ROLE_PERMISSIONS.items() if Permission.MANAGE_WEBHOOKS in held
]


def audit_endpoint(
    *, actor: User | None, verb: AuditEventType, endpoint: WebhookEndpoint, **data: object
) -> None:
    """Record an event about an endpoint, on its organisation's part of the audit log."""
    audit_record(
        actor=actor,
        verb=verb,
        target=endpoint,
        organisation=endpoint.organisation,
        data={"url": endpoint.url, **data},
    )


def endpoint_owners(organisation: Organisation) -> QuerySet[User]:
    """The organisation's active users who may manage its webhooks."""
    return User.objects.filter(
        organisation=organisation, is_active=True, role__in=MANAGING_ROLES
    ).order_by("username")


@transaction.atomic
def webhook_endpoint_disable_for_failures(*, endpoint: WebhookEndpoint, reason: str) -> bool:
    """Disable the endpoint (once) and tell its owners in the app and by e-mail; False when it
    was already disabled."""
    now = timezone.now()
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(
        disabled_at=now, disabled_reason=reason[:300]
    )
    if not changed:
        return False
    endpoint.refresh_from_db()
    audit_endpoint(
        actor=None,
        verb=AuditEventType.WEBHOOK_DISABLED,
        endpoint=endpoint,
        reason=endpoint.disabled_reason,
    )
    owners = list(endpoint_owners(endpoint.organisation))
    key = f"webhook-disabled.{endpoint.pk}.{int(now.timestamp())}"
    path = f"/webhooks/{endpoint.pk}/"
    notifications_enqueue(
        key=f"{key}.app",
        users=owners,
        title=f"Webhook endpoint {endpoint.url} was disabled: {endpoint.disabled_reason}"[:300],
        url=path,
    )
    context = {"endpoint": endpoint, "url": settings.SITE_URL.rstrip("/") + path}
    addresses = [owner.email for owner in owners if owner.email]
    email_enqueue(
        key=f"{key}.mail",
        subject=f"Webhook endpoint disabled: {endpoint.url}"[:200],
        text=render_to_string("notify/webhooks/disabled_email.txt", context),
        html=render_to_string("notify/webhooks/disabled_email.html", context),
        to=addresses or [a for a in [endpoint.organisation.contact_email] if a],
    )
    return True
