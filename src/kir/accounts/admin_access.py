"""Who may use Django's admin: staff users who are SECAS administrators by role (or superusers).

Model admins mix in `SecasAdminAccess`, so demo and real SECAS administrators need no separate
Django model permissions; the role table stays the one source of truth.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from kir.accounts.models import User
from kir.accounts.permissions import Permission, user_has_permission


def is_secas_administrator(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    organisation = getattr(user, "organisation", None)
    return (
        organisation is not None
        and organisation.is_secas
        and user_has_permission(user, Permission.MANAGE_USERS)
    )


class SecasAdminAccess:
    """ModelAdmin mixin: every admin permission follows `is_secas_administrator`."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_secas_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_secas_administrator(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_secas_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_secas_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_secas_administrator(request.user)


class ReadOnlyAdmin(SecasAdminAccess, admin.ModelAdmin):
    """Viewable by SECAS administrators; changed only through the services, never here."""

    actions = None

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent for SECAS administrators, changed only elsewhere (by the
    services or their own admin page)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_secas_administrator(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
