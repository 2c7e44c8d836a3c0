"""The audit log in the admin: strictly read-only (no add, change, delete or bulk actions), for
SECAS administrators."""

from __future__ import annotations

from django.contrib import admin

from kir.accounts.admin_access import ReadOnlyAdmin
from kir.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "actor_name",
        "organisation",
        "verb",
        "target_type",
        "target_id",
    )
    list_filter = ("verb",)
    list_select_related = ("organisation",)
    search_fields = ("verb", "actor_name", "target_type", "target_id")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "created_at",
        "actor",
        "actor_name",
        "organisation",
        "verb",
        "target_type",
        "target_id",
        "data",
        "previous_hash",
        "hash",
    )
    readonly_fields = fields
