"""Admin over the catalogue for SECAS administrators. Every save goes through the services.

Identities never change here: a manufacturer's or model's identifier, a version's model, hardware
and firmware, and a DMC's members are read-only once saved, because DMC identifiers and the
register's affected products are derived from them. Nothing is deleted from the admin: catalogue
rows are referenced by issues and audit events.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from kir.accounts.admin_access import SecasAdminAccess
from kir.accounts.models import Organisation, PartyCategory, User
from kir.catalogue.models import DMC, DeviceModel, DeviceVersion, Manufacturer, Region
from kir.catalogue.services import (
    MANUFACTURER_FIELDS,
    MODEL_FIELDS,
    VERSION_FIELDS,
    device_model_upsert,
    device_version_upsert,
    dmc_update,
    field_values,
    manufacturer_link_organisation,
    manufacturer_upsert,
)
from kir.identifiers import (
    IdentifierError,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class CatalogueAdmin(SecasAdminAccess, admin.ModelAdmin):
    identity_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.identity_fields if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The admin's own object is never saved: the service upserts by identity and audits, and
        # the admin only needs the saved row's key to redirect to it.
        obj.pk = self.save_through_services(obj, _actor(request)).pk

    def save_through_services(self, obj: Any, actor: User | None) -> Any:
        raise NotImplementedError


def _normalised(value: str, normalise: Any) -> str:
    try:
        return normalise(value)
    except IdentifierError as error:
        raise ValidationError(str(error)) from None


# Form fields wider than the stored ids, so "10-a5" reaches clean_* and is normalised to "10A5"
# instead of failing the model's max_length first.
def _id_field(help_text: str) -> forms.CharField:
    return forms.CharField(max_length=40, help_text=help_text)


class ManufacturerForm(forms.ModelForm):
    identifier = _id_field("GBCS manufacturer id, 4 hex digits")

    class Meta:
        model = Manufacturer
        fields = (*MANUFACTURER_FIELDS, "organisation")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:
            field = self.fields["organisation"]
            field.queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                category=PartyCategory.MANUFACTURER
            )

    def clean_identifier(self) -> str:
        return _normalised(self.cleaned_data["identifier"], normalise_manufacturer_id)


@admin.register(Manufacturer)
class ManufacturerAdmin(CatalogueAdmin):
    form = ManufacturerForm
    list_display = ("name", "identifier", "organisation")
    search_fields = ("name", "identifier", "organisation__name")
    list_select_related = ("organisation",)
    identity_fields = ("identifier",)

    def save_through_services(self, obj: Any, actor: User | None) -> Manufacturer:
        saved, _ = manufacturer_upsert(actor=actor, **field_values(obj, MANUFACTURER_FIELDS))
        manufacturer_link_organisation(
            manufacturer=saved, organisation=obj.organisation, actor=actor
        )
        return saved


class DeviceModelForm(forms.ModelForm):
    model_id = _id_field("GBCS model identifier, 8 hex digits")

    class Meta:
        model = DeviceModel
        fields = ("manufacturer", *MODEL_FIELDS)

    def clean_model_id(self) -> str:
        return _normalised(self.cleaned_data["model_id"], normalise_model_id)


@admin.register(DeviceModel)
class DeviceModelAdmin(CatalogueAdmin):
    form = DeviceModelForm
    list_display = ("name", "manufacturer", "device_type", "model_id", "smets_version")
    list_filter = ("device_type", "manufacturer")
    search_fields = ("name", "model_id", "manufacturer__name", "manufacturer__identifier")
    list_select_related = ("manufacturer",)
    identity_fields = ("manufacturer", "model_id", "device_type")

    def save_through_services(self, obj: Any, actor: User | None) -> DeviceModel:
        # The device type is read-only once saved, so the service's type-change refusal cannot
        # be reached from here.
        saved, _ = device_model_upsert(
            manufacturer=obj.manufacturer, actor=actor, **field_values(obj, MODEL_FIELDS)
        )
        return saved


class DeviceVersionForm(forms.ModelForm):
    firmware_version = _id_field("8 hex digits")

    class Meta:
        model = DeviceVersion
        fields = ("device_model", *VERSION_FIELDS)

    def clean_firmware_version(self) -> str:
        return _normalised(self.cleaned_data["firmware_version"], normalise_firmware_version)

    def clean_hardware_version(self) -> str:
        return self.cleaned_data["hardware_version"].strip().upper()

    def clean_cpl_entry_id(self) -> str | None:
        return (self.cleaned_data.get("cpl_entry_id") or "").strip() or None


@admin.register(DeviceVersion)
class DeviceVersionAdmin(CatalogueAdmin):
    form = DeviceVersionForm
    list_display = (
        "device_model",
        "hardware_version",
        "firmware_version",
        "cpl_entry_id",
        "cpl_status",
        "cpl_listed_on",
    )
    list_filter = ("cpl_status", "device_model__device_type", "device_model__manufacturer")
    search_fields = (
        "firmware_version",
        "cpl_entry_id",
        "device_model__name",
        "device_model__model_id",
    )
    list_select_related = ("device_model__manufacturer",)
    identity_fields = ("device_model", "hardware_version", "firmware_version")

    def save_through_services(self, obj: Any, actor: User | None) -> DeviceVersion:
        saved, _ = device_version_upsert(
            device_model=obj.device_model, actor=actor, **field_values(obj, VERSION_FIELDS)
        )
        return saved


class DMCForm(forms.ModelForm):
    regions = forms.MultipleChoiceField(
        choices=Region.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = DMC
        fields = ("name", "regions")


@admin.register(DMC)
class DMCAdmin(CatalogueAdmin):
    """Renaming and restating regions only: DMCs are created from their members by services."""

    form = DMCForm
    list_display = ("identifier", "name", "regions", "created_at")
    search_fields = ("identifier", "name")
    readonly_fields = ("identifier", "member_list", "created_at")
    fields = ("identifier", "name", "regions", "member_list", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description="Members")
    def member_list(self, obj: DMC) -> str:
        return "; ".join(str(m) for m in obj.members.select_related("device_model__manufacturer"))

    def save_through_services(self, obj: Any, actor: User | None) -> DMC:
        dmc_update(dmc=obj, name=obj.name, regions=obj.regions, actor=actor)
        return obj

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Members are read-only here; there is nothing related to save.
        return None
