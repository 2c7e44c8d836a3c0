"""Bulletins for SECAS administrators, read-only: they are composed and sent on the bulletin
pages (through kir.notify.bulletins, which records the recipients and the audit event). The
webhooks' pages are kir.notify.webhooks.admin's."""

from __future__ import annotations

from django.contrib import admin

from kir.accounts.admin_access import ReadOnlyAdmin, ReadOnlyInline
from kir.notify.models import Bulletin, BulletinRecipient
from kir.notify.webhooks import admin as webhooks_admin  # noqa: F401 (registers the pages)


class RecipientInline(ReadOnlyInline):
    model = BulletinRecipient
    fields = ("user", "email")
    readonly_fields = fields


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ("subject", "created_by", "created_at", "sent_by", "sent_at")
    list_filter = ("sent_at",)
    search_fields = ("subject", "body")
    fields = ("subject", "body", "categories", "created_by", "created_at", "sent_by", "sent_at")
    readonly_fields = fields
    inlines = [RecipientInline]
