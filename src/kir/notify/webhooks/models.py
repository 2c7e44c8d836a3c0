"""Webhook endpoints, their signing secrets and the log of every delivery attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WebhookEndpoint(models.Model):
    """Where one organisation wants its events POSTed. Disabled after a 410 or after
    WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row; an administrator enables it again."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Names from kir.notify.webhooks.events.EVENTS.
    events = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organisation__name", "id"]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.url}"

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


class WebhookSecret(models.Model):
    """A signing secret (`whsec_...`, base64 of 32 random bytes). Standard Webhooks signs with a
    shared symmetric key, so the secret is kept to sign with; it is shown to its owners once.
    During a rotation the old secret keeps signing, beside the new one, until `expires_at`."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "expires_at"], name="webhook_secret_live")]

    def __str__(self) -> str:
        return f"secret {self.pk} of endpoint {self.endpoint_id}"


class WebhookDelivery(models.Model):
    """One attempt at one delivery: what the receiver answered and how long it took."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The outbox job's key, sent as `webhook-id`: the same for every attempt at one event.
    webhook_id = models.CharField(max_length=200)
    event = models.CharField(max_length=60)
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "created_at"], name="webhook_delivery_log"),
            models.Index(fields=["webhook_id"], name="webhook_delivery_id"),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.webhook_id} attempt {self.attempt}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
