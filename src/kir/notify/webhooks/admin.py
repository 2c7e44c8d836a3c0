"""Webhook endpoints and their delivery log for SECAS administrators, read-only (endpoints
change through the webhook pages' services, which audit it). Secrets are never shown."""

from __future__ import annotations

from django.contrib import admin

from kir.accounts.admin_access import ReadOnlyAdmin, ReadOnlyInline
from kir.notify.webhooks.models import WebhookDelivery, WebhookEndpoint


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("created_at", "event", "webhook_id", "attempt", "status_code", "error", "duration_ms")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    max_num = 0


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "organisation", "disabled_at", "consecutive_failures", "created_at")
    list_filter = ("organisation",)
    search_fields = ("url", "organisation__name", "disabled_reason")
    fields = (
        "organisation",
        "url",
        "description",
        "events",
        "created_by",
        "created_at",
        "disabled_at",
        "disabled_reason",
        "consecutive_failures",
    )
    readonly_fields = fields
    inlines = [DeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "endpoint", "event", "attempt", "status_code", "duration_ms")
    list_filter = ("event", "status_code")
    search_fields = ("webhook_id", "error", "endpoint__url")
    date_hierarchy = "created_at"
