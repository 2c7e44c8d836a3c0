"""Importing a checked CPL extract: all rows in one transaction, or none.

`cpl.py` has already checked each row and the file against itself; here the rows are checked
against what the catalogue already holds (an entry id cannot move to another device), then written
through the catalogue services, which record each creation and change in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from kir.accounts.models import PartyCategory, User
from kir.accounts.permissions import Permission, user_has_permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.catalogue.cpl import CplProblem, CplRow
from kir.catalogue.models import DeviceModel, DeviceVersion, Manufacturer
from kir.catalogue.services import (
    Outcome,
    device_model_upsert,
    device_version_upsert,
    manufacturer_upsert,
)


class CplImportRefused(Exception):
    def __init__(self, problems: list[CplProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing imported")
        self.problems = problems


class CplImportNotAllowed(Exception):
    """The named actor may not import the catalogue."""


# The CPL is the national list SECAS keeps: only its administrators and DCC's import it.
CPL_IMPORTING_CATEGORIES: frozenset[str] = frozenset({PartyCategory.SECAS, PartyCategory.DCC})


def user_may_import_cpl(user: User) -> bool:
    organisation = user.organisation
    return (
        user_has_permission(user, Permission.IMPORT_CATALOGUE)
        and organisation is not None
        and organisation.category in CPL_IMPORTING_CATEGORIES
    )


@dataclass
class CplImportReport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    dry_run: bool = False
    changed_entries: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.created} created, {self.changed} changed, {self.unchanged} unchanged"
        return f"{text} (dry run: nothing saved)" if self.dry_run else text


def _device_key(version: DeviceVersion) -> tuple[str, str, str, str]:
    model = version.device_model
    return (
        model.manufacturer.identifier,
        model.model_id,
        version.hardware_version,
        version.firmware_version,
    )


@dataclass
class CatalogueSnapshot:
    """The catalogue as it stands, read in three queries, to check and skip rows without a query
    each. The whole catalogue is read rather than `__in` lists: a CPL is thousands of rows, and
    SQLite caps the number of query parameters."""

    by_entry: dict[str | None, DeviceVersion]
    by_device: dict[tuple[str, str, str, str], DeviceVersion]
    models: dict[tuple[str, str], DeviceModel]
    manufacturer_names: dict[str, str]

    @classmethod
    def load(cls) -> CatalogueSnapshot:
        versions = list(DeviceVersion.objects.select_related("device_model__manufacturer"))
        models = DeviceModel.objects.select_related("manufacturer")
        return cls(
            by_entry={v.cpl_entry_id: v for v in versions if v.cpl_entry_id},
            by_device={_device_key(v): v for v in versions},
            models={(m.manufacturer.identifier, m.model_id): m for m in models},
            manufacturer_names=dict(Manufacturer.objects.values_list("identifier", "name")),
        )

    def unchanged(self, row: CplRow) -> bool:
        """True when importing the row would write nothing at all."""
        version = self.by_device.get(row.device_key)
        model = self.models.get(row.model_key)
        return (
            version is not None
            and model is not None
            and self.manufacturer_names.get(row.manufacturer_id) == row.manufacturer_name
            and (model.name, model.device_type, model.smets_version)
            == (row.model_name, row.device_type, row.smets_version)
            and (
                version.cpl_entry_id,
                version.cpl_status,
                version.cpl_listed_on,
                version.cpl_removed_on,
            )
            == (row.cpl_entry_id, row.cpl_status, row.listed_on, row.removed_on)
        )


def catalogue_conflicts(rows: list[CplRow], snapshot: CatalogueSnapshot) -> list[CplProblem]:
    """Rows that contradict what the catalogue already holds."""
    problems: list[CplProblem] = []
    for row in rows:
        problems.extend(_row_conflicts(row, snapshot))
    return problems


def _row_conflicts(row: CplRow, snapshot: CatalogueSnapshot) -> list[CplProblem]:
    problems = []
    model = snapshot.models.get(row.model_key)
    known_type = model.device_type if model is not None else None
    if known_type is not None and known_type != row.device_type:
        problems.append(
            CplProblem(
                row.row,
                "device_type",
                f"model {row.manufacturer_id}/{row.model_id} is a {known_type} in the catalogue",
                f"{known_type}; a model keeps its device type",
            )
        )
    entry = snapshot.by_entry.get(row.cpl_entry_id)
    if entry is not None and _device_key(entry) != row.device_key:
        problems.append(
            CplProblem(
                row.row,
                "cpl_entry_id",
                f"entry {row.cpl_entry_id!r} is already {entry} in the catalogue",
                "a new cpl_entry_id for a different device",
            )
        )
    device = snapshot.by_device.get(row.device_key)
    if device is not None and device.cpl_entry_id not in (None, "", row.cpl_entry_id):
        problems.append(
            CplProblem(
                row.row,
                "cpl_entry_id",
                f"this model, hardware and firmware is already entry {device.cpl_entry_id!r}",
                f"{device.cpl_entry_id}",
            )
        )
    return problems


class _Writer:
    """Writes rows through the services, upserting each manufacturer and model once per file."""

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.manufacturers: dict[str, tuple[Manufacturer, Outcome]] = {}
        self.models: dict[tuple[str, str], tuple[DeviceModel, Outcome]] = {}

    def manufacturer(self, row: CplRow) -> tuple[Manufacturer, Outcome]:
        if row.manufacturer_id not in self.manufacturers:
            self.manufacturers[row.manufacturer_id] = manufacturer_upsert(
                identifier=row.manufacturer_id, name=row.manufacturer_name, actor=self.actor
            )
            return self.manufacturers[row.manufacturer_id]
        return self.manufacturers[row.manufacturer_id][0], "unchanged"

    def model(self, row: CplRow, manufacturer: Manufacturer) -> tuple[DeviceModel, Outcome]:
        if row.model_key not in self.models:
            self.models[row.model_key] = device_model_upsert(
                manufacturer=manufacturer,
                model_id=row.model_id,
                device_type=row.device_type,
                name=row.model_name,
                smets_version=row.smets_version,
                actor=self.actor,
            )
            return self.models[row.model_key]
        return self.models[row.model_key][0], "unchanged"

    def write(self, row: CplRow) -> Outcome:
        manufacturer, maker_outcome = self.manufacturer(row)
        model, model_outcome = self.model(row, manufacturer)
        _, version_outcome = device_version_upsert(
            device_model=model,
            hardware_version=row.hardware_version,
            firmware_version=row.firmware_version,
            cpl_entry_id=row.cpl_entry_id,
            cpl_status=row.cpl_status,
            cpl_listed_on=row.listed_on,
            cpl_removed_on=row.removed_on,
            actor=self.actor,
        )
        if version_outcome == "created":
            return "created"
        # A renamed manufacturer or model counts against the first row that carried the new name.
        if "changed" in (maker_outcome, model_outcome, version_outcome):
            return "changed"
        return "unchanged"


def cpl_import_rows(
    *, rows: list[CplRow], actor: User | None, source: str, dry_run: bool = False
) -> CplImportReport:
    """Import checked rows in one transaction; a dry run reports the changes, then undoes them.

    `actor` None is the system (the demo seed, a command run without --actor)."""
    if actor is not None and not user_may_import_cpl(actor):
        raise CplImportNotAllowed(
            f"{actor.get_username()} may not import the catalogue "
            "(only administrators of SECAS or DCC may)"
        )
    report = CplImportReport(dry_run=dry_run)
    with transaction.atomic():
        snapshot = CatalogueSnapshot.load()
        problems = catalogue_conflicts(rows, snapshot)
        if problems:
            raise CplImportRefused(problems)
        writer = _Writer(actor)
        for row in rows:
            # Re-importing last month's CPL is the common case: skip the rows it already holds.
            outcome = "unchanged" if snapshot.unchanged(row) else writer.write(row)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "changed":
                report.changed_entries.append(row.cpl_entry_id)
        if report.created or report.changed:
            audit_record(
                actor=actor,
                verb=AuditEventType.CPL_IMPORTED,
                data={
                    "source": source,
                    "created": report.created,
                    "changed": report.changed,
                    "unchanged": report.unchanged,
                },
            )
        if dry_run:
            transaction.set_rollback(True)
    return report
