"""The audit log in the admin: strictly read-only, for SECAS administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kir.accounts.admin_access import is_secas_administrator
from kir.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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
    # No bulk actions at all, not even "delete selected".
    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_secas_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_secas_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
