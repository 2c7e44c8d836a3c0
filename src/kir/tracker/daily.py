"""`kir tracker daily`: ingest the new day's files from a landing folder and queue a run.

Meant for cron or a systemd timer (docs/operations.md). The landing folder receives alert files
(CSV, CSV.gz, Parquet, DUIS XML) and, when the estate changed, an `inventory.parquet` or
`inventory.csv`, which replaces the inventory kept beside the state. Processed files are moved to
`processed/<first day>_<last day>/`, so running again the same day finds nothing new and does
nothing; files whose days are already ingested are moved to `refused/` with the reason, never
ingested twice.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.incremental import IngestRequest, ingest
from kir.tracker.engine.state import batches
from kir.tracker.models import RunSource, TrackerRun
from kir.tracker.services import (
    STATE_INVENTORY_NAMES,
    RunInputs,
    state_inventory,
    tracker_run_queue,
)

ALERT_SUFFIXES = (".parquet", ".csv", ".gz", ".xml")


@dataclass
class DailyOutcome:
    message: str
    run: TrackerRun | None = None
    refused: bool = False


def _landed(landing: Path) -> tuple[list[Path], Path | None]:
    files = sorted(p for p in landing.iterdir() if p.is_file() and not p.name.startswith("."))
    inventory = next((p for p in files if p.name in STATE_INVENTORY_NAMES), None)
    alerts = [p for p in files if p != inventory and p.name.lower().endswith(ALERT_SUFFIXES)]
    return alerts, inventory


def _move(files: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.move(str(path), folder / path.name)


def _keep_inventory(landed: Path, state_dir: Path) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in STATE_INVENTORY_NAMES:
        (state_dir / name).unlink(missing_ok=True)
    target = state_dir / landed.name
    shutil.copy2(landed, target)
    return target


def run_daily(
    *, landing: Path, state_dir: Path, rules_path: Path | None = None, window_days: int = 28
) -> DailyOutcome:
    if not landing.is_dir():
        raise TrackerError(f"{landing}: the landing folder does not exist")
    alerts, landed_inventory = _landed(landing)
    if not alerts:
        return DailyOutcome(f"{landing}: no new alert files; nothing to do")
    inventory = (
        _keep_inventory(landed_inventory, state_dir)
        if landed_inventory
        else state_inventory(state_dir)
    )
    if inventory is None:
        raise TrackerError(
            f"{landing}: no inventory: deliver inventory.parquet or inventory.csv "
            "with the first day"
        )
    try:
        meta = ingest(
            IngestRequest(
                inventory=inventory, alerts=alerts, state_dir=state_dir, rules_path=rules_path
            )
        )
    except TrackerError as error:
        refused = landing / "refused"
        _move(alerts, refused)
        (refused / "reason.txt").write_text(f"{error}\n", "utf-8")
        return DailyOutcome(f"refused, files moved to {refused}: {error}", refused=True)
    last = date.fromisoformat(meta["last_day"])
    _move(
        alerts + ([landed_inventory] if landed_inventory else []),
        landing / "processed" / Path(meta["batch"]).name,
    )
    run = tracker_run_queue(
        actor=None,
        inputs=RunInputs(
            source=RunSource.DAILY,
            inventory=inventory,
            state_dir=state_dir,
            # The window never starts before the first ingested day (empty days would count).
            day_from=max(
                last - timedelta(days=window_days - 1),
                min(b.first_day for b in batches(state_dir)),
            ),
            day_to=last,
            rules_path=rules_path,
        ),
    )
    return DailyOutcome(
        f"ingested {meta['first_day']} to {meta['last_day']} ({meta['alerts']} alerts); "
        f"run {run.pk} queued",
        run=run,
    )
