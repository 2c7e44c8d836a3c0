"""Admin over organisations, users and tokens for SECAS administrators. Every write goes through
the account services, which audit it."""

from __future__ import annotations

from copy import copy
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from kir.accounts.admin_access import ReadOnlyAdmin, ReadOnlyInline, SecasAdminAccess
from kir.accounts.models import ApiToken, Organisation, User
from kir.accounts.services import (
    ORGANISATION_FIELDS,
    SUPERUSER_FIELDS,
    organisation_create,
    organisation_delete,
    organisation_update,
    user_create,
    user_delete,
    user_reset_password,
    user_unlock_sign_in,
    user_update,
)
from kir.catalogue.models import Manufacturer
from kir.catalogue.services import field_values

# Never handed to user_update: passwords change only through the password services.
_SECRET_FIELDS = frozenset({"password", "password1", "password2", "usable_password"})


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _changes(form: forms.ModelForm[Any]) -> dict[str, Any]:
    return {
        name: form.cleaned_data.get(name)
        for name in form.changed_data
        if name not in _SECRET_FIELDS
    }


class ServicesAdmin(SecasAdminAccess, admin.ModelAdmin):
    """Creates, changes and deletes only through the account services, which audit each write.

    The admin's own object is never saved; the services lock and write the stored row, and the
    admin only needs the saved row's key to redirect to it.
    """

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            self.update(obj, _changes(form), _actor(request))
        else:
            obj.pk = self.create(obj, form, _actor(request)).pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Many-to-many fields went to the service with the rest, so form.save_m2m() is skipped.
        # The inlines are read-only: saving their formsets writes nothing but lets the admin
        # describe the change in its history.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete(obj, _actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # One transaction: a bulk deletion refused part way leaves nothing deleted.
        for obj in queryset:
            self.delete(obj, _actor(request))

    def create(self, obj: Any, form: Any, actor: User | None) -> Any:
        raise NotImplementedError

    def update(self, obj: Any, changes: dict[str, Any], actor: User | None) -> Any:
        raise NotImplementedError

    def delete(self, obj: Any, actor: User | None) -> None:
        raise NotImplementedError


class ServicePasswordForm(AdminPasswordChangeForm):
    """Django's admin password form, saving through user_reset_password as the acting admin."""

    def __init__(self, user: User, *args: Any, actor: User | None, **kwargs: Any) -> None:
        self.actor = actor
        super().__init__(user, *args, **kwargs)

    def save(self, commit: bool = True) -> User:
        usable = self.cleaned_data["set_usable_password"]
        user_reset_password(
            user=self.user,
            new_password=self.cleaned_data["password1"] if usable else None,
            actor=self.actor,
            via="admin",
        )
        return self.user


class ManufacturerInline(ReadOnlyInline):
    """Read-only here: manufacturers are edited in the catalogue."""

    model = Manufacturer
    fields = ("identifier", "name")
    readonly_fields = fields
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(ServicesAdmin):
    list_display = ("name", "category", "contact_email", "created_at")
    list_filter = ("category",)
    search_fields = ("name", "slug", "contact_email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ManufacturerInline]

    def create(self, obj: Organisation, form: Any, actor: User | None) -> Organisation:
        return organisation_create(
            actor=actor, via="admin", **field_values(obj, ORGANISATION_FIELDS)
        )

    def update(self, obj: Organisation, changes: dict[str, Any], actor: User | None) -> Any:
        return organisation_update(organisation=obj, changes=changes, actor=actor, via="admin")

    def delete(self, obj: Organisation, actor: User | None) -> None:
        organisation_delete(organisation=obj, actor=actor, via="admin")


@admin.register(User)
class UserAdmin(ServicesAdmin, BaseUserAdmin):
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
    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in after failed attempts")
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = _actor(request)
        for user in queryset:
            user_unlock_sign_in(user=user, actor=actor)
        self.message_user(request, f"Sign-in unlocked for {len(queryset)} user(s).")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser may hand out Django-level powers beyond the role table.
            readonly += tuple(sorted(SUPERUSER_FIELDS))
        return readonly

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Django's view builds its form as self.change_password_form(user, data) and saves it,
        # without telling the form who is acting; a copy of this admin for the one request
        # hands the service form its actor.
        for_request = copy(self)
        for_request.change_password_form = partial(ServicePasswordForm, actor=_actor(request))
        return super(UserAdmin, for_request).user_change_password(request, id, form_url)

    def create(self, obj: User, form: Any, actor: User | None) -> User:
        usable = form.cleaned_data.get("set_usable_password", True)
        return user_create(
            actor=actor,
            username=obj.username,
            organisation=obj.organisation,
            role=obj.role,
            password=form.cleaned_data["password1"] if usable else None,
            email=obj.email,
            via="admin",
        )

    def update(self, obj: User, changes: dict[str, Any], actor: User | None) -> User:
        return user_update(user=obj, changes=changes, actor=actor, via="admin")

    def delete(self, obj: User, actor: User | None) -> None:
        user_delete(user=obj, actor=actor, via="admin")


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
