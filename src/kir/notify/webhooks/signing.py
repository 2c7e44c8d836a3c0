"""Signing per Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature`
(one `v1,<base64 HMAC-SHA256>` per live secret, space-separated, so a receiver holding either
the old or the new secret verifies during a rotation). The `standardwebhooks` library signs."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from kir.notify.webhooks.models import WebhookEndpoint, WebhookSecret


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def live_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign now: the current one and any rotated one still in its overlap."""
    live = WebhookSecret.objects.filter(endpoint=endpoint).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    return list(live.order_by("-created_at", "-id").values_list("secret", flat=True))


def signed_headers(
    *, webhook_id: str, body: str, secrets: list[str], at: datetime
) -> dict[str, str]:
    signatures = [
        Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body) for secret in secrets
    ]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
