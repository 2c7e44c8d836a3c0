"""The tracker in the admin for SECAS administrators: runs read-only (they are made by the
services and the worker); inventory supplier ids assigned through `supplier_code_set`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kir.accounts.admin_access import ReadOnlyAdmin, SecasAdminAccess
from kir.accounts.models import User
from kir.tracker.models import SupplierCode, TrackerRun
from kir.tracker.services import supplier_code_set


@admin.register(TrackerRun)
class TrackerRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "status", "window_from", "window_to", "findings_count")
    list_filter = ("status", "source")
    exclude = ("report",)


@admin.register(SupplierCode)
class SupplierCodeAdmin(SecasAdminAccess, admin.ModelAdmin):
    list_display = ("code", "organisation")
    actions = None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a code is reassigned by deleting it and adding it again

    def save_model(self, request: HttpRequest, obj: SupplierCode, form: Any, change: bool) -> None:
        assert isinstance(request.user, User)
        saved = supplier_code_set(actor=request.user, code=obj.code, organisation=obj.organisation)
        if saved is not None:
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: SupplierCode) -> None:
        assert isinstance(request.user, User)
        supplier_code_set(actor=request.user, code=obj.code, organisation=None)
