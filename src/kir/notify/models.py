"""In-app notifications: what happened that concerns a user, read or not."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # The outbox job's key: a job run twice (its worker died) leaves one notification per user.
    key = models.CharField(max_length=200)
    issue = models.ForeignKey(
        "register.Issue", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_delivery")
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"], condition=Q(read_at=None), name="notify_unread"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class FeedKey(models.Model):
    """A user's Atom feed key. Feed readers cannot sign in, so the feed URL carries a token made
    from this row (see kir.notify.feeds); a new generation, or revoking, ends every old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_key"
    )
    generation = models.PositiveIntegerField(default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"feed key {self.generation} of {self.user_id}"


# The webhook models live in their own package; importing them here makes them the app's.
from kir.notify.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookSecret  # noqa: E402

__all__ = ["FeedKey", "Notification", "WebhookDelivery", "WebhookEndpoint", "WebhookSecret"]
