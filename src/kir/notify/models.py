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


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "at once, one e-mail per issue"
    DAILY = "daily", "in a daily digest"


class PublicationMail(models.TextChoices):
    ALL = "all", "every issue published"
    SUBSCRIBED = "subscribed", "only issues matching my subscriptions"
    NONE = "none", "none"


class MailPreferences(models.Model):
    """What a user receives by e-mail besides statutory notices (which always go). A user
    without a row has the defaults: every publication at once, bulletins, work notices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preferences"
    )
    publications = models.CharField(
        max_length=12, choices=PublicationMail.choices, default=PublicationMail.ALL
    )
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    bulletins = models.BooleanField(default=True)
    work = models.BooleanField(default=True, help_text="submission and proposal notices (SECAS)")

    def __str__(self) -> str:
        return f"mail preferences of {self.user_id}"


class SubscriptionKind(models.TextChoices):
    MANUFACTURER = "manufacturer", "Manufacturer"
    DEVICE_MODEL = "device_model", "Device model"
    DMC = "dmc", "Device Model Combination"
    REGION = "region", "Region"
    CATEGORY = "category", "Category"
    ESTATE = "estate", "My estate (a saved estate file)"


class Subscription(models.Model):
    """One thing a user follows: `value` is a catalogue row's id (manufacturer, device model,
    DMC), a code (region, category) or a saved estate of the user's organisation (estate);
    kir.notify.matchers says what each kind matches."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    kind = models.CharField(max_length=30, choices=SubscriptionKind.choices)
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value"], name="one_subscription")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.kind} {self.value}"


class DigestEntry(models.Model):
    """A notice held for a user's daily digest; `sent_on` is the digest's day once queued."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    issue = models.ForeignKey("register.Issue", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    matched = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_digest_entry")]
        indexes = [models.Index(fields=["user"], condition=Q(sent_on=None), name="digest_due")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Bulletin(models.Model):
    """A message SECAS composes (Markdown) for all Parties or chosen SEC Party categories, such
    as the seed paper's 3(a) reminder. Sent once; its recipients are recorded as it is sent."""

    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown; rendered sanitised")
    # SEC Party categories (kir.accounts.models.PartyCategory); empty means every Party.
    categories = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class BulletinRecipient(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(blank=True, help_text="empty: told in the app only")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "user"], name="one_bulletin_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} to {self.user_id}"


# The webhook models live in their own package; importing them here makes them the app's.
from kir.notify.webhooks.models import (  # noqa: E402, F401
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)
