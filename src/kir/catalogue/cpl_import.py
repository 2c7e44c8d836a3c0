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
from kir.catalogue.cpl_write import CplPlan
from kir.catalogue.models import DeviceModel, DeviceVersion, Manufacturer


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
    manufacturers: dict[str, Manufacturer]
    manufacturer_names: dict[str, str]
    # Every stored value, as read: equal fingerprints mean a plan made from one snapshot holds
    # for the other (the plan changes the objects it will save, never this).
    fingerprint: tuple[object, ...]

    @classmethod
    def load(cls) -> CatalogueSnapshot:
        manufacturers = {m.pk: m for m in Manufacturer.objects.all()}
        models = {m.pk: m for m in DeviceModel.objects.all()}
        for model in models.values():
            model.manufacturer = manufacturers[model.manufacturer_id]
        versions = list(DeviceVersion.objects.all())
        for version in versions:
            version.device_model = models[version.device_model_id]
        fingerprint = tuple(
            (type(obj).__name__, *(v for k, v in sorted(vars(obj).items()) if k[0] != "_"))
            for obj in (*manufacturers.values(), *models.values(), *versions)
        )
        return cls(
            by_entry={v.cpl_entry_id: v for v in versions if v.cpl_entry_id},
            by_device={_device_key(v): v for v in versions},
            models={(m.manufacturer.identifier, m.model_id): m for m in models.values()},
            manufacturers={m.identifier: m for m in manufacturers.values()},
            manufacturer_names={m.identifier: m.name for m in manufacturers.values()},
            fingerprint=fingerprint,
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
    # Read and plan outside the write transaction: on SQLite a write transaction holds the
    # database's one write lock, and writing row by row held it for a 20,000-row import's whole
    # run (72 s), so sign-ins and edits meanwhile failed. The plan is then saved in a short
    # transaction, still all or nothing (see docs/security.md for the measured hold).
    snapshot = CatalogueSnapshot.load()
    report, plan = _plan(rows, snapshot, dry_run=dry_run)
    if dry_run or not (report.created or report.changed):
        return report  # nothing to write: no write transaction, no audit event
    with transaction.atomic():
        current = CatalogueSnapshot.load()
        if current.fingerprint != snapshot.fingerprint:
            # The catalogue changed since it was read: plan again, under the lock this time.
            report, plan = _plan(rows, current, dry_run=False)
        plan.apply(actor)
        if report.created or report.changed:  # a plan made again may have found nothing left
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
    return report


def _plan(
    rows: list[CplRow], snapshot: CatalogueSnapshot, *, dry_run: bool
) -> tuple[CplImportReport, CplPlan]:
    problems = catalogue_conflicts(rows, snapshot)
    if problems:
        raise CplImportRefused(problems)
    report = CplImportReport(dry_run=dry_run)
    plan = CplPlan(snapshot)
    for row in rows:
        # Re-importing last month's CPL is the common case: skip the rows it already holds.
        outcome = "unchanged" if snapshot.unchanged(row) else plan.write(row)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome == "changed":
            report.changed_entries.append(row.cpl_entry_id)
    return report, plan
