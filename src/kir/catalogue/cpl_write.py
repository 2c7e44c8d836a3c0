"""The writes a CPL import makes, worked out before the write transaction and then made in a few
statements, so that a 20,000-row import holds SQLite's write lock for a moment, not its whole run.

`CplPlan.build` reads nothing: it compares the checked rows with a CatalogueSnapshot and records
each creation and change (and its audit event) as the catalogue services would make it, row by
row. `CplPlan.apply` then saves them with bulk statements and appends the audit events in one go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.db import connection

from kir.audit.changes import changed_fields
from kir.audit.events import AuditEventType
from kir.audit.services import AuditEntry, audit_record_many
from kir.catalogue.cpl import CplRow
from kir.catalogue.models import DeviceModel, DeviceVersion, Manufacturer
from kir.catalogue.services import (
    MANUFACTURER_FIELDS,
    MODEL_FIELDS,
    VERSION_FIELDS,
    Outcome,
    field_values,
)
from kir.identifiers import normalise_firmware_version

if TYPE_CHECKING:
    from kir.accounts.models import User


class CatalogueSnapshot(Protocol):
    """What the plan reads of cpl_import.CatalogueSnapshot (named here: no import cycle)."""

    manufacturers: dict[str, Manufacturer]
    models: dict[tuple[str, str], DeviceModel]
    by_device: dict[tuple[str, str, str, str], DeviceVersion]


_BATCH = 500


@dataclass
class _Pending:
    """One kind of object: those to create and those to update (with the fields changed)."""

    created: list[Any] = field(default_factory=list)
    changed: dict[int, Any] = field(default_factory=dict)
    changed_fields: set[str] = field(default_factory=set)

    def save(self, model: type[Any]) -> None:
        model.objects.bulk_create(self.created, batch_size=_BATCH)
        if self.changed:
            self._update(model)

    def _update(self, model: type[Any]) -> None:
        """One UPDATE statement run for every changed row. bulk_update's CASE per field and row
        made updating 20,000 versions hold the write lock for 34 s here."""
        fields = [model._meta.get_field(name) for name in sorted(self.changed_fields)]
        assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        params = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
            for obj in self.changed.values()
        ]
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", params)


@dataclass
class _Event:
    verb: AuditEventType
    obj: Any  # saved by apply() before its event is recorded: a new object has no pk yet
    data: dict[str, Any]


@dataclass
class CplPlan:
    snapshot: CatalogueSnapshot
    manufacturers: dict[str, tuple[Manufacturer, Outcome]] = field(default_factory=dict)
    models: dict[tuple[str, str], tuple[DeviceModel, Outcome]] = field(default_factory=dict)
    pending: dict[type[Any], _Pending] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)

    def _upsert(
        self,
        obj: Any,
        created: bool,
        wanted: dict[str, Any],
        fields: tuple[str, ...],
        verbs: tuple[AuditEventType, AuditEventType],
        context: dict[str, Any],
    ) -> Outcome:
        """What catalogue.services._save_upsert would do, recorded instead of saved."""
        pending = self.pending.setdefault(type(obj), _Pending())
        if created:
            pending.created.append(obj)
            self.events.append(
                _Event(verbs[0], obj, {**context, "after": field_values(obj, fields)})
            )
            return "created"
        changes = changed_fields(obj, wanted)
        if not changes:
            return "unchanged"
        for name, (_, value) in changes.items():
            setattr(obj, name, value)
        pending.changed[obj.pk] = obj
        pending.changed_fields.update(changes)
        diff = {
            "before": {name: old for name, (old, _) in changes.items()},
            "after": {name: new for name, (_, new) in changes.items()},
        }
        self.events.append(_Event(verbs[1], obj, {**context, **diff}))
        return "changed"

    def manufacturer(self, row: CplRow) -> tuple[Manufacturer, Outcome]:
        if row.manufacturer_id in self.manufacturers:
            return self.manufacturers[row.manufacturer_id][0], "unchanged"
        identifier, wanted = row.manufacturer_id, {"name": row.manufacturer_name.strip()}
        existing = self.snapshot.manufacturers.get(identifier)
        obj = existing or Manufacturer(identifier=identifier, **wanted)
        outcome = self._upsert(
            obj,
            existing is None,
            wanted,
            MANUFACTURER_FIELDS,
            (AuditEventType.MANUFACTURER_CREATED, AuditEventType.MANUFACTURER_CHANGED),
            {"identifier": identifier},
        )
        self.manufacturers[identifier] = (obj, outcome)
        return obj, outcome

    def model(self, row: CplRow, manufacturer: Manufacturer) -> tuple[DeviceModel, Outcome]:
        if row.model_key in self.models:
            return self.models[row.model_key][0], "unchanged"
        wanted = {
            "device_type": row.device_type,
            "name": row.model_name.strip(),
            "smets_version": row.smets_version,
        }
        existing = self.snapshot.models.get(row.model_key)
        obj = existing or DeviceModel(manufacturer=manufacturer, model_id=row.model_id, **wanted)
        outcome = self._upsert(
            obj,
            existing is None,
            wanted,
            MODEL_FIELDS,
            (AuditEventType.DEVICE_MODEL_CREATED, AuditEventType.DEVICE_MODEL_CHANGED),
            {"manufacturer": row.manufacturer_id, "model_id": row.model_id},
        )
        self.models[row.model_key] = (obj, outcome)
        return obj, outcome

    def version(self, row: CplRow, model: DeviceModel) -> Outcome:
        wanted: dict[str, Any] = {
            "cpl_status": row.cpl_status,
            "cpl_listed_on": row.listed_on,
            "cpl_removed_on": row.removed_on,
        }
        if row.cpl_entry_id:
            wanted["cpl_entry_id"] = row.cpl_entry_id
        existing = self.snapshot.by_device.get(row.device_key)
        obj = existing or DeviceVersion(
            device_model=model,
            hardware_version=row.hardware_version.strip().upper(),
            firmware_version=normalise_firmware_version(row.firmware_version),
            **wanted,
        )
        return self._upsert(
            obj,
            existing is None,
            wanted,
            VERSION_FIELDS,
            (AuditEventType.DEVICE_VERSION_CREATED, AuditEventType.DEVICE_VERSION_CHANGED),
            {"manufacturer": row.manufacturer_id, "model_id": row.model_id},
        )

    def write(self, row: CplRow) -> Outcome:
        """The row's outcome, counted as CplImportReport counts it."""
        manufacturer, maker_outcome = self.manufacturer(row)
        model, model_outcome = self.model(row, manufacturer)
        version_outcome = self.version(row, model)
        if version_outcome == "created":
            return "created"
        # A renamed manufacturer or model counts against the first row that carried the new name.
        if "changed" in (maker_outcome, model_outcome, version_outcome):
            return "changed"
        return "unchanged"

    def apply(self, actor: User | None) -> None:
        """Save everything in dependency order, then append the audit events in row order."""
        for kind in (Manufacturer, DeviceModel, DeviceVersion):
            pending = self.pending.get(kind)
            if pending is None:
                continue
            # bulk_create takes a new manufacturer's (or model's) pk, saved just before, for the
            # rows that point to it.
            pending.save(kind)
        entries = [AuditEntry(event.verb, event.obj, event.data) for event in self.events]
        audit_record_many(actor=actor, entries=entries)
