"""Writes to the catalogue. Each one records its audit event in the same transaction.

Upserts report whether they created, changed or left alone what they were given, so the CPL import
can say "0 created, 0 changed, N unchanged" and re-running it writes nothing, not even audit events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal

from django.db import models, transaction

from kir.accounts.models import Organisation, User
from kir.audit.changes import changed_fields
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.catalogue.models import DMC, CplStatus, DeviceModel, DeviceVersion, Manufacturer, Region
from kir.identifiers import (
    dmc_identifier,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)

Outcome = Literal["created", "changed", "unchanged"]

MANUFACTURER_FIELDS = ("identifier", "name")
MODEL_FIELDS = ("model_id", "device_type", "name", "smets_version")
VERSION_FIELDS = (
    "hardware_version",
    "firmware_version",
    "cpl_entry_id",
    "cpl_status",
    "cpl_listed_on",
    "cpl_removed_on",
)


class CatalogueError(Exception):
    """A write that would make the catalogue contradict itself."""


def field_values(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def _apply_changes(obj: models.Model, wanted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the fields that differ and return {"before": ..., "after": ...} of just those."""
    changes = changed_fields(obj, wanted)
    for name, (_, value) in changes.items():
        setattr(obj, name, value)
    return {
        "before": {name: old for name, (old, _) in changes.items()},
        "after": {name: new for name, (_, new) in changes.items()},
    }


def _save_upsert(
    *,
    obj: models.Model,
    created: bool,
    wanted: dict[str, Any],
    fields: Sequence[str],
    actor: User | None,
    verbs: tuple[AuditEventType, AuditEventType],
    context: dict[str, Any],
) -> Outcome:
    """Save a new row under verbs[0] (created), or its changed fields under verbs[1] (changed)."""
    created_verb, changed_verb = verbs
    if created:
        obj.save()
        audit_record(
            actor=actor,
            verb=created_verb,
            target=obj,
            data={**context, "after": field_values(obj, fields)},
        )
        return "created"
    diff = _apply_changes(obj, wanted)
    if not diff["before"]:
        return "unchanged"
    obj.save(update_fields=list(diff["before"]))
    audit_record(actor=actor, verb=changed_verb, target=obj, data={**context, **diff})
    return "changed"


@transaction.atomic
def manufacturer_upsert(
    *, identifier: str, name: str, actor: User | None
) -> tuple[Manufacturer, Outcome]:
    identifier = normalise_manufacturer_id(identifier)
    wanted = {"name": name.strip()}
    existing = Manufacturer.objects.select_for_update().filter(identifier=identifier).first()
    obj = existing or Manufacturer(identifier=identifier, **wanted)
    outcome = _save_upsert(
        obj=obj,
        created=existing is None,
        wanted=wanted,
        fields=MANUFACTURER_FIELDS,
        actor=actor,
        verbs=(AuditEventType.MANUFACTURER_CREATED, AuditEventType.MANUFACTURER_CHANGED),
        context={"identifier": identifier},
    )
    return obj, outcome


@transaction.atomic
def manufacturer_link_organisation(
    *, manufacturer: Manufacturer, organisation: Organisation | None, actor: User | None
) -> Outcome:
    """Name the SEC Party organisation that speaks for a manufacturer (or none)."""
    if organisation is not None and not organisation.is_manufacturer:
        raise CatalogueError(
            f"{organisation.name} is a {organisation.get_category_display()}, "
            "not a manufacturer organisation"
        )
    locked = Manufacturer.objects.select_for_update().get(pk=manufacturer.pk)
    new_id = organisation.pk if organisation is not None else None
    if locked.organisation_id == new_id:
        return "unchanged"
    before = locked.organisation.name if locked.organisation else None
    locked.organisation = organisation
    locked.save(update_fields=["organisation"])
    manufacturer.organisation = organisation
    audit_record(
        actor=actor,
        verb=AuditEventType.MANUFACTURER_ORGANISATION_CHANGED,
        target=locked,
        data={
            "identifier": locked.identifier,
            "before": {"organisation": before},
            "after": {"organisation": organisation.name if organisation else None},
        },
    )
    return "changed"


@transaction.atomic
def device_model_upsert(
    *,
    manufacturer: Manufacturer,
    model_id: str,
    device_type: str,
    name: str,
    smets_version: str,
    actor: User | None,
) -> tuple[DeviceModel, Outcome]:
    model_id = normalise_model_id(model_id)
    wanted = {"device_type": device_type, "name": name.strip(), "smets_version": smets_version}
    existing = (
        DeviceModel.objects.select_for_update()
        .filter(manufacturer=manufacturer, model_id=model_id)
        .first()
    )
    # The device type is part of every DMC id the model's versions belong to; changing it would
    # silently give those combinations new identities.
    if existing is not None and existing.device_type != device_type:
        raise CatalogueError(
            f"model {manufacturer.identifier}/{model_id} is recorded as {existing.device_type}, "
            f"not {device_type}"
        )
    obj = existing or DeviceModel(manufacturer=manufacturer, model_id=model_id, **wanted)
    outcome = _save_upsert(
        obj=obj,
        created=existing is None,
        wanted=wanted,
        fields=MODEL_FIELDS,
        actor=actor,
        verbs=(AuditEventType.DEVICE_MODEL_CREATED, AuditEventType.DEVICE_MODEL_CHANGED),
        context={"manufacturer": manufacturer.identifier, "model_id": model_id},
    )
    return obj, outcome


def _check_entry_id_free(*, entry_id: str | None, version: DeviceVersion | None) -> None:
    if not entry_id:
        return
    holder = DeviceVersion.objects.filter(cpl_entry_id=entry_id).select_related(
        "device_model__manufacturer"
    )
    if version is not None and version.pk is not None:
        holder = holder.exclude(pk=version.pk)
    other = holder.first()
    if other is not None:
        raise CatalogueError(f"CPL entry {entry_id} already belongs to {other}")


@transaction.atomic
def device_version_upsert(
    *,
    device_model: DeviceModel,
    hardware_version: str,
    firmware_version: str,
    actor: User | None,
    cpl_entry_id: str | None = None,
    cpl_status: str = CplStatus.LISTED,
    cpl_listed_on: date | None = None,
    cpl_removed_on: date | None = None,
) -> tuple[DeviceVersion, Outcome]:
    """One hardware + firmware version of a model, keyed by (model, hardware, firmware)."""
    key = {
        "device_model": device_model,
        "hardware_version": hardware_version.strip().upper(),
        "firmware_version": normalise_firmware_version(firmware_version),
    }
    wanted: dict[str, Any] = {
        "cpl_status": cpl_status,
        "cpl_listed_on": cpl_listed_on,
        "cpl_removed_on": cpl_removed_on,
    }
    existing = DeviceVersion.objects.select_for_update().filter(**key).first()
    if cpl_entry_id:
        if existing is not None and existing.cpl_entry_id not in (None, "", cpl_entry_id):
            raise CatalogueError(
                f"{existing} is CPL entry {existing.cpl_entry_id}, not {cpl_entry_id}"
            )
        wanted["cpl_entry_id"] = cpl_entry_id
    if existing is None or existing.cpl_entry_id != cpl_entry_id:
        _check_entry_id_free(entry_id=cpl_entry_id, version=existing)
    obj = existing or DeviceVersion(**key, **wanted)
    outcome = _save_upsert(
        obj=obj,
        created=existing is None,
        wanted=wanted,
        fields=VERSION_FIELDS,
        actor=actor,
        verbs=(AuditEventType.DEVICE_VERSION_CREATED, AuditEventType.DEVICE_VERSION_CHANGED),
        context={
            "manufacturer": device_model.manufacturer.identifier,
            "model_id": device_model.model_id,
        },
    )
    return obj, outcome


def _clean_regions(regions: Iterable[str]) -> list[str]:
    wanted = set(regions)
    unknown = wanted - set(Region.values)
    if unknown:
        raise CatalogueError(
            f"unknown region {', '.join(sorted(unknown))} (expected {', '.join(Region.values)})"
        )
    # Keep the regions in their north-to-south order, so equal sets store equal lists.
    return [r for r in Region.values if r in wanted]


def dmc_identifier_for(members: Iterable[DeviceVersion]) -> str:
    return dmc_identifier(m.component() for m in members)


@transaction.atomic
def dmc_get_or_create(
    *,
    members: Sequence[DeviceVersion],
    actor: User | None,
    name: str = "",
    regions: Iterable[str] = (),
) -> tuple[DMC, bool]:
    """The one DMC for this combination of device versions, created on first sight.

    Regions given for an existing DMC are added to the ones it has (a combination seen in a new
    region is the same combination); a name is set only if it had none.
    """
    unique = {m.pk: m for m in members}.values()
    identifier = dmc_identifier_for(unique)
    new_regions = _clean_regions(regions)
    dmc = DMC.objects.select_for_update().filter(identifier=identifier).first()
    if dmc is None:
        dmc = DMC.objects.create(identifier=identifier, name=name.strip(), regions=new_regions)
        dmc.members.set(list(unique))
        audit_record(
            actor=actor,
            verb=AuditEventType.DMC_CREATED,
            target=dmc,
            data={"after": _dmc_snapshot(dmc)},
        )
        return dmc, True
    wanted: dict[str, Any] = {"regions": _clean_regions([*dmc.regions, *new_regions])}
    if name.strip() and not dmc.name:
        wanted["name"] = name.strip()
    _save_upsert(
        obj=dmc,
        created=False,
        wanted=wanted,
        fields=("name", "regions"),
        actor=actor,
        verbs=(AuditEventType.DMC_CREATED, AuditEventType.DMC_CHANGED),
        context={"identifier": identifier},
    )
    return dmc, False


@transaction.atomic
def dmc_update(*, dmc: DMC, actor: User | None, name: str, regions: Iterable[str]) -> Outcome:
    """Rename a DMC or restate its regions; its members, and so its identity, never change."""
    locked = DMC.objects.select_for_update().get(pk=dmc.pk)
    wanted = {"name": name.strip(), "regions": _clean_regions(regions)}
    outcome = _save_upsert(
        obj=locked,
        created=False,
        wanted=wanted,
        fields=("name", "regions"),
        actor=actor,
        verbs=(AuditEventType.DMC_CREATED, AuditEventType.DMC_CHANGED),
        context={"identifier": locked.identifier},
    )
    dmc.name, dmc.regions = locked.name, locked.regions
    return outcome


def _dmc_snapshot(dmc: DMC) -> dict[str, Any]:
    return {
        "identifier": dmc.identifier,
        "name": dmc.name,
        "regions": dmc.regions,
        "members": sorted(
            m.component().key() for m in dmc.members.select_related("device_model__manufacturer")
        ),
    }
