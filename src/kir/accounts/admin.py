"""Admin over organisations, users and tokens for SECAS administrators; every write is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from kir.accounts.admin_access import ReadOnlyAdmin, ReadOnlyInline, SecasAdminAccess
from kir.accounts.models import ApiToken, Organisation, User
from kir.audit.services import audit_record
from kir.catalogue.models import Manufacturer

# Never copied into the audit log, not even hashed.
_SECRET_FIELDS = frozenset({"password", "password1", "password2", "usable_password"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(_jsonable(item) for item in value)
    return value


def _changes(form: forms.ModelForm[Any]) -> dict[str, Any]:
    return {
        name: _jsonable(form.cleaned_data.get(name))
        for name in form.changed_data
        if name not in _SECRET_FIELDS
    }


class AuditedAdmin(SecasAdminAccess, admin.ModelAdmin):
    """Records one audit event per admin create, change or delete, in the admin's transaction."""

    audit_name = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        verb = f"accounts.{self.audit_name}_{'changed' if change else 'created'}"
        actor = request.user if isinstance(request.user, User) else None
        audit_record(actor=actor, verb=verb, target=obj, data={"via": "admin", **_changes(form)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._record_deletion(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._record_deletion(request, list(queryset))
        super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, objects: Iterable[Any]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for obj in objects:
            audit_record(
                actor=actor,
                verb=f"accounts.{self.audit_name}_deleted",
                target=obj,
                data={"via": "admin", "name": str(obj)},
            )


class ManufacturerInline(ReadOnlyInline):
    """Read-only here: manufacturers are edited in the catalogue."""

    model = Manufacturer
    fields = ("identifier", "name")
    readonly_fields = fields
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    audit_name = "organisation"
    list_display = ("name", "category", "contact_email", "created_at")
    list_filter = ("category",)
    search_fields = ("name", "slug", "contact_email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ManufacturerInline]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    audit_name = "user"
    list_display = ("username", "email", "organisation", "role", "is_active", "is_staff")
    list_filter = ("organisation__category", "role", "is_active", "is_staff", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("username", "email", "first_name", "last_name", "organisation__name")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Register", {"fields": ("organisation", "role")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Register", {"fields": ("email", "organisation", "role")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser may hand out Django-level powers beyond the role table.
            readonly += ("is_superuser", "groups", "user_permissions")
        return readonly


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Shown for incident response; tokens are created and revoked through the accounts pages."""

    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = list_display
    fields = list_display
