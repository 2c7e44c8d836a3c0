"""Writes of the tracker: queue a run (its files kept, its outbox job and audit event in the same
transaction). The run itself is executed by the worker (kir.tracker.execute), never here."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from kir.accounts.admin_access import is_secas_administrator
from kir.accounts.models import Organisation, User
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.outbox.services import outbox_enqueue
from kir.register.errors import Conflict, PermissionRefused, ValidationFailed
from kir.tracker.models import RunSource, RunStatus, SupplierCode, TrackerRun
from kir.tracker.permissions import may_run_tracker

RUN_JOB_KIND = "tracker_run"


class Upload(Protocol):
    """What a run keeps of an uploaded file (Django's UploadedFile is one)."""

    name: str | None

    def chunks(self) -> Any: ...


def engine_version() -> str:
    try:
        return f"kir {version('kir')}"
    except PackageNotFoundError:  # a checkout run without installing
        return "kir (not installed)"


def default_rules_text() -> str:
    return resources.files("kir.tracker.engine").joinpath("default_rules.toml").read_text("utf-8")


def runs_dir() -> Path:
    return Path(settings.VAR_DIR) / "tracker" / "runs"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(role: str, path: Path, name: str | None = None) -> dict[str, Any]:
    exists = path.is_file()
    return {
        "role": role,
        "name": name or path.name,
        "path": str(path),
        "bytes": path.stat().st_size if exists else None,
        "sha256": _sha256_file(path) if exists else None,
    }


def _safe_name(name: str | None, fallback: str) -> str:
    base = Path(name or "").name.strip().replace("\x00", "")
    return base if base and base not in (".", "..") else fallback


def _save_upload(upload: Upload, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


@dataclass
class RunInputs:
    """What a queued run reads: paths on this machine (the CLI's, the daily state's)."""

    source: RunSource
    inventory: Path | None = None
    alerts: Sequence[Path] = ()
    state_dir: Path | None = None
    day_from: date | None = None
    day_to: date | None = None
    rules_text: str = ""
    rules_path: Path | None = None
    uploads: dict[str, Any] = field(default_factory=dict)


def _check(inputs: RunInputs) -> None:
    errors: dict[str, list[str]] = {}
    if inputs.inventory is None and not inputs.uploads.get("inventory"):
        errors["inventory"] = ["Give the inventory file."]
    has_alerts = bool(inputs.alerts) or bool(inputs.uploads.get("alerts"))
    if has_alerts == (inputs.state_dir is not None):
        errors["alerts"] = ["Give either alert files or the kept daily state, not both."]
    if inputs.day_from and inputs.day_to and inputs.day_from > inputs.day_to:
        errors["day_to"] = ["The window ends before it starts."]
    if errors:
        raise ValidationFailed(errors)


def _store_inputs(run: TrackerRun, inputs: RunInputs) -> None:
    """Uploaded files under runs/<id>/; paths given on this machine are read where they are."""
    folder = runs_dir() / str(run.pk)
    described = []
    inventory_upload = inputs.uploads.get("inventory")
    if inventory_upload is not None:
        target = folder / "inventory" / _safe_name(inventory_upload.name, "inventory")
        _save_upload(inventory_upload, target)
        run.inventory_path = str(target)
        described.append(_describe("inventory", target, inventory_upload.name))
    elif inputs.inventory is not None:
        run.inventory_path = str(inputs.inventory)
        described.append(_describe("inventory", inputs.inventory))
    alert_paths = [str(p) for p in inputs.alerts]
    for index, upload in enumerate(inputs.uploads.get("alerts") or ()):
        target = folder / "alerts" / f"{index:03d}-{_safe_name(upload.name, 'alerts')}"
        _save_upload(upload, target)
        alert_paths.append(str(target))
        described.append(_describe("alerts", target, upload.name))
    described += [_describe("alerts", Path(p)) for p in inputs.alerts if Path(p).is_file()]
    run.alert_paths = alert_paths
    if inputs.rules_text and inputs.rules_path is None:
        target = folder / "rules.toml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(inputs.rules_text, "utf-8")
        run.rules_path = str(target)
    run.input_files = described


def tracker_run_queue(
    *, actor: User | None, inputs: RunInputs, queue_job: bool = True
) -> TrackerRun:
    """Queue a run: the row, its kept inputs, its outbox job and the audit event commit together
    (files written for a run that does not commit are removed). Without `queue_job` the caller
    executes the run itself (`kir tracker analyse --save`, with execute.run_now)."""
    if actor is not None and not may_run_tracker(actor):
        raise PermissionRefused("Only DCC coordinators may start tracker runs.")
    _check(inputs)
    rules_text = inputs.rules_text
    if not rules_text and inputs.rules_path is not None:
        rules_text = inputs.rules_path.read_text("utf-8")
    created: list[Path] = []
    try:
        with transaction.atomic():
            run = TrackerRun.objects.create(
                source=inputs.source,
                started_by=actor,
                state_dir=str(inputs.state_dir or ""),
                day_from=inputs.day_from,
                day_to=inputs.day_to,
                rules_text=rules_text,
                rules_path=str(inputs.rules_path or ""),
                rules_sha256=hashlib.sha256(
                    (rules_text or default_rules_text()).encode("utf-8")
                ).hexdigest(),
                engine_version=engine_version(),
                stage="queued",
            )
            created.append(runs_dir() / str(run.pk))
            _store_inputs(run, inputs)
            if queue_job:
                run.job = outbox_enqueue(
                    kind=RUN_JOB_KIND,
                    key=f"tracker-run-{run.pk}",
                    payload={"run": run.pk},
                    max_attempts=2,
                )
            run.save()
            audit_record(
                actor=actor,
                verb=AuditEventType.TRACKER_RUN_QUEUED,
                target=run,
                data={
                    "source": run.source,
                    "inputs": [
                        {k: f[k] for k in ("role", "name", "bytes", "sha256")}
                        for f in run.input_files
                    ],
                    "state_dir": run.state_dir,
                    "rules_sha256": run.rules_sha256,
                },
            )
    except BaseException:
        for path in created:
            shutil.rmtree(path, ignore_errors=True)
        raise
    return run


def tracker_run_create(
    *,
    actor: User,
    inventory: Upload | None = None,
    alerts: Sequence[Upload] = (),
    use_state: bool = False,
    day_from: date | None = None,
    day_to: date | None = None,
    rules_text: str = "",
) -> TrackerRun:
    """A run started from the web form or the API: uploaded alert files and inventory, or the
    kept daily state (settings.TRACKER_STATE_DIR) with an uploaded inventory or the state's own
    inventory. Refused with Conflict when the same window of the state is already queued or
    running (a second click, or a client retrying), so one analysis is not done twice."""
    if not may_run_tracker(actor):
        raise PermissionRefused("Only DCC coordinators may start tracker runs.")
    state_dir = Path(settings.TRACKER_STATE_DIR) if use_state else None
    if use_state and not settings.TRACKER_STATE_DIR:
        raise ValidationFailed(
            {"use_state": ["No daily state is configured (KIR_TRACKER_STATE_DIR)."]}
        )
    if state_dir is not None:
        _refuse_a_second_state_run(state_dir, day_from, day_to, rules_text)
    kept_inventory = None
    if use_state and inventory is None:
        kept_inventory = state_inventory(Path(settings.TRACKER_STATE_DIR))
    return tracker_run_queue(
        actor=actor,
        inputs=RunInputs(
            source=RunSource.STATE if use_state else RunSource.UPLOAD,
            inventory=kept_inventory,
            state_dir=state_dir,
            day_from=day_from,
            day_to=day_to,
            rules_text=rules_text,
            uploads={"inventory": inventory, "alerts": list(alerts)},
        ),
    )


def _refuse_a_second_state_run(
    state_dir: Path, day_from: date | None, day_to: date | None, rules_text: str
) -> None:
    rules_sha256 = hashlib.sha256((rules_text or default_rules_text()).encode("utf-8")).hexdigest()
    under_way = TrackerRun.objects.filter(
        state_dir=str(state_dir),
        day_from=day_from,
        day_to=day_to,
        rules_sha256=rules_sha256,
        status__in=(RunStatus.QUEUED, RunStatus.RUNNING),
    ).first()
    if under_way is not None:
        raise Conflict(
            f"Run {under_way.pk} is already {under_way.status} over the kept daily state for this "
            "window and rules; wait for it to finish or follow its page."
        )


STATE_INVENTORY_NAMES = ("inventory.parquet", "inventory.csv")


def state_inventory(state_dir: Path) -> Path | None:
    """The inventory `kir tracker daily` keeps beside its state (the latest one delivered)."""
    for name in STATE_INVENTORY_NAMES:
        if (state_dir / name).is_file():
            return state_dir / name
    return None


@transaction.atomic
def supplier_code_set(
    *, actor: User, code: str, organisation: Organisation | None
) -> SupplierCode | None:
    """Say which organisation an inventory `supplier` value is (None: forget the value). Runs
    stored from then on give that organisation its own drill-down."""
    if not is_secas_administrator(actor):
        raise PermissionRefused("Only SECAS administrators may assign supplier ids.")
    code = code.strip()
    if not code:
        raise ValidationFailed({"code": ["Give the supplier id the inventory uses."]})
    if organisation is not None and not organisation.is_supplier:
        raise ValidationFailed({"organisation": [f"{organisation.name} is not a supplier."]})
    existing = SupplierCode.objects.filter(code=code).first()
    if organisation is None:
        if existing is not None:
            existing.delete()
        row = None
    elif existing is None:
        row = SupplierCode.objects.create(code=code, organisation=organisation)
    else:
        existing.organisation = organisation
        existing.save(update_fields=["organisation"])
        row = existing
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_SUPPLIER_CODE_SET,
        target=("tracker.suppliercode", code),
        data={"code": code, "organisation": organisation.pk if organisation else None},
    )
    return row
