"""The worker's side of a run: execute the engine, write progress as it goes, store the outcome.

Progress is written in short transactions of its own (a page polling the run sees it at once).
The outcome is one transaction: on success the findings (one bulk write per table) with the run's
final status; on failure the status and the engine's message, and no finding at all.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.outbox.handlers import PermanentFailure
from kir.outbox.models import Job
from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.errors import TrackerError
from kir.tracker.fix_check_jobs import fix_checks_queue_for_run
from kir.tracker.models import RunStatus, SupplierCode, TrackerRun
from kir.tracker.services import runs_dir
from kir.tracker.store import store_findings

logger = logging.getLogger(__name__)

# The engine's phases (analyse.py's progress labels) and where each starts and ends, as a share
# of the run: reading and scanning alerts is most of a run's time.
PHASES: dict[str, tuple[float, float]] = {
    "reading the inventory": (0.02, 0.15),
    "flagging superfluous alerts": (0.15, 0.65),
    "testing region x code x DMC cells": (0.65, 0.9),
}
STORING = "storing the findings"
_DONE = re.compile(r"^(?P<label>.+): done in (?P<seconds>[0-9.]+) s$")


class RunProgress:
    """The engine's Progress callback: each line becomes the run's stage and fraction, and each
    "done in" line a timing; it also extends the job's lease, so a long run is not taken over by
    a second worker while this one is still working on it."""

    def __init__(self, run: TrackerRun, job: Job | None) -> None:
        self.run = run
        self.job = job
        self.timings: dict[str, float] = {}

    def __call__(self, message: str) -> None:
        done = _DONE.match(message)
        label = done.group("label") if done else message.rstrip(".")
        start, end = PHASES.get(label, (self.run.progress, self.run.progress))
        fraction = end if done else start
        if done:
            self.timings[label] = float(done.group("seconds"))
        self.write(message, max(fraction, self.run.progress))

    def write(self, stage: str, fraction: float) -> None:
        self.run.stage, self.run.progress = stage[:200], fraction
        with transaction.atomic():
            TrackerRun.objects.filter(pk=self.run.pk).update(
                stage=self.run.stage, progress=fraction, timings=self.timings
            )
            if self.job is not None:
                lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
                Job.objects.filter(pk=self.job.pk, lease_token=self.job.lease_token).update(
                    available_at=timezone.now() + lease
                )


def execute_run(job: Job) -> None:
    """The outbox handler of kind "tracker_run". A finished run is left as it is (the job may be
    delivered twice); a failure of the engine is the run's outcome, not the job's."""
    run = TrackerRun.objects.filter(pk=job.payload["run"]).first()
    if run is None:
        raise PermanentFailure(f"tracker run {job.payload['run']} does not exist")
    if run.is_finished:
        return
    run_now(run, job=job)


def _request(run: TrackerRun, progress: RunProgress) -> AnalyseRequest:
    return AnalyseRequest(
        inventory=Path(run.inventory_path),
        alerts=list(run.alert_paths),
        state_dir=Path(run.state_dir) if run.state_dir else None,
        day_from=run.day_from,
        day_to=run.day_to,
        rules_path=Path(run.rules_path) if run.rules_path else None,
        audience="dcc",
        rejects_path=runs_dir() / str(run.pk) / "rejects.csv",
        progress=progress,
        views=True,
        view_suppliers=sorted(SupplierCode.objects.values_list("code", flat=True)),
    )


def run_now(run: TrackerRun, *, job: Job | None = None) -> TrackerRun:
    """Execute a queued run in this process (the worker; `kir tracker analyse --save`)."""
    TrackerRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), error=""
    )
    run.refresh_from_db()
    progress = RunProgress(run, job)
    progress.write("starting", 0.01)
    started = time.monotonic()
    try:
        report = analyse(_request(run, progress))
    except (TrackerError, MemoryError, duckdb.Error, OSError) as error:
        _fail(run, _message(error), progress.timings)
        return run
    except Exception as error:
        _fail(run, f"internal error ({type(error).__name__}): {error}", progress.timings)
        raise PermanentFailure(f"tracker run {run.pk} failed: {error}") from error
    progress.timings["engine total"] = round(time.monotonic() - started, 3)
    progress.write(STORING, 0.95)
    stored = time.monotonic()
    _succeed(run, report, progress.timings, stored)
    return run


def _message(error: BaseException) -> str:
    if isinstance(error, (MemoryError, duckdb.OutOfMemoryException)):
        return (
            "the run ran out of memory; give the rules a higher memory_limit or analyse a "
            f"shorter window ({error})"
        )
    if isinstance(error, duckdb.Error):
        return f"the engine could not read the input: {error}"
    return str(error)


def _fail(run: TrackerRun, message: str, timings: dict[str, float]) -> None:
    with transaction.atomic():
        TrackerRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error=message,
            stage="failed",
            timings=timings,
            finished_at=timezone.now(),
        )
        audit_record(
            actor=None, verb=AuditEventType.TRACKER_RUN_FAILED, target=run, data={"error": message}
        )
    run.refresh_from_db()
    logger.warning("tracker run %s failed: %s", run.pk, message)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _succeed(
    run: TrackerRun, report: dict[str, Any], timings: dict[str, float], stored: float
) -> None:
    inputs = report["inputs"]
    alerts = inputs["alerts"]
    views = report.pop("views", {})
    with transaction.atomic():
        count = store_findings(run, report["findings"], views)
        timings["storing findings"] = round(time.monotonic() - stored, 3)
        TrackerRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED,
            stage="done",
            progress=1.0,
            timings=timings,
            window_from=_day(report["window"]["from"]),
            window_to=_day(report["window"]["to"]),
            window_days=report["window"]["days"],
            input_counts=inputs,
            rejected_rows=alerts["rejected_rows"] + inputs["inventory"]["rejected_rows"],
            unknown_devices=alerts["unknown_devices"],
            unknown_device_alerts=alerts["unknown_device_alerts"],
            findings_count=count,
            report=report,
            finished_at=timezone.now(),
        )
        audit_record(
            actor=None,
            verb=AuditEventType.TRACKER_RUN_SUCCEEDED,
            target=run,
            data={"findings": count, "window": report["window"]},
        )
        # Counted by the worker while the run's inventory is still kept, never by a page.
        fix_checks_queue_for_run(run)
    run.refresh_from_db()
