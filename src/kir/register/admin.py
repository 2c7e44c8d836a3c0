"""Admin for SECAS administrators: the register read-only (the services and pages change it),
the prohibited-phrase list editable (audited, through kir.register.services.phrases)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kir.accounts.admin_access import ReadOnlyAdmin, ReadOnlyInline, SecasAdminAccess
from kir.accounts.models import User
from kir.register.models import (
    AffectedProduct,
    Involvement,
    Issue,
    LanguageOverride,
    ManufacturerNotice,
    ProhibitedPhrase,
    Publication,
    StateChange,
    Statement,
    ThresholdPolicy,
)
from kir.register.services.phrases import (
    phrase_errors,
    prohibited_phrase_delete,
    prohibited_phrase_save,
)


class ProductInline(ReadOnlyInline):
    model = AffectedProduct
    fields = ("device_version", "dmc", "status", "first_fixed_firmware")
    readonly_fields = fields


class InvolvementInline(ReadOnlyInline):
    model = Involvement
    fields = ("organisation", "role", "status", "updated_at")
    readonly_fields = fields


class StateChangeInline(ReadOnlyInline):
    model = StateChange
    fields = ("created_at", "transition", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = (
        "human_id",
        "title",
        "state",
        "category",
        "evidence_level",
        "root_cause_status",
        "impact_level",
        "reporter_organisation",
        "updated_at",
    )
    list_filter = ("state", "category", "evidence_level", "root_cause_status", "impact_level")
    list_select_related = ("reporter_organisation",)
    search_fields = ("human_id", "title", "summary")
    inlines = [ProductInline, InvolvementInline, StateChangeInline]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("id", "issue", "kind", "organisation", "author", "created_at", "supersedes")
    list_filter = ("kind",)
    list_select_related = ("issue", "organisation", "author", "supersedes")
    search_fields = ("issue__human_id", "text")


@admin.register(StateChange)
class StateChangeAdmin(ReadOnlyAdmin):
    list_display = ("issue", "transition", "from_state", "to_state", "actor", "created_at")
    list_filter = ("transition", "to_state")
    list_select_related = ("issue", "actor")
    search_fields = ("issue__human_id", "reason")


@admin.register(ThresholdPolicy)
class ThresholdPolicyAdmin(ReadOnlyAdmin):
    """Versions are made by policy_update (the policy page), never edited here."""

    list_display = (
        "version",
        "in_force",
        "minimum_evidence_level",
        "minimum_impact_level",
        "notice_period_business_days",
        "second_approver_required",
        "minimum_tracker_grade",
        "created_by",
        "created_at",
    )


@admin.register(ManufacturerNotice)
class ManufacturerNoticeAdmin(ReadOnlyAdmin):
    list_display = ("issue", "organisation", "sent_at", "respond_by", "responded_at")
    list_select_related = ("issue", "organisation")


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("issue", "status", "proposed_by", "approved_by", "approved_at", "policy")
    list_filter = ("status",)


@admin.register(LanguageOverride)
class LanguageOverrideAdmin(ReadOnlyAdmin):
    list_display = ("issue", "field", "phrase", "actor", "created_at")


class ProhibitedPhraseForm(forms.ModelForm):
    class Meta:
        model = ProhibitedPhrase
        fields = ("phrase", "active", "note")

    def clean_phrase(self) -> str:
        phrase = " ".join(self.cleaned_data["phrase"].split())
        errors = phrase_errors(phrase)
        if errors:
            raise forms.ValidationError(errors)
        return phrase


@admin.register(ProhibitedPhrase)
class ProhibitedPhraseAdmin(SecasAdminAccess, admin.ModelAdmin):
    form = ProhibitedPhraseForm
    list_display = ("phrase", "active", "note")
    list_editable = ("active",)
    list_filter = ("active",)
    search_fields = ("phrase", "note")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        prohibited_phrase_save(actor=_actor(request), phrase=obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        prohibited_phrase_delete(actor=_actor(request), phrase=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for phrase in queryset:
            prohibited_phrase_delete(actor=_actor(request), phrase=phrase)


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("the admin needs a signed-in user")
    return user
