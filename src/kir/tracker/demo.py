"""The demo's tracker history: two weeks of daily runs over the synthetic generator's estate.

Each day is ingested into a kept state (as `kir tracker daily` does) and a run over the days so
far is stored as the worker stores one, dated that day. The synthetic inventory's suppliers
SUP-01 and SUP-02 are the demo's Brightwater Energy and Heron Power, so their users see their
own drill-down. The estate's popular models are relabelled as the demo catalogue's device
versions first, and the findings' DMCs added to it, so findings and catalogue pages link
(kir.tracker.demo_catalogue). The edition is kir.tracker.demo_edition's.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kir.accounts.models import Organisation
from kir.tracker.demo_catalogue import (
    catalogue_labels,
    link_finding_dmcs,
    relabel_inventory,
    resolved_components,
)
from kir.tracker.engine.incremental import IngestRequest, ingest
from kir.tracker.engine.synthetic import write_synthetic_dataset
from kir.tracker.execute import run_now
from kir.tracker.models import RunSource, RunStatus, SupplierCode, TrackerRun
from kir.tracker.services import RunInputs, tracker_run_queue

DEMO_DAYS = 14
DEMO_DEVICES = 3000
DEMO_ALERTS_PER_DAY = 4000
DEMO_SEED = 2026
DEMO_SUPPLIERS = {"SUP-01": "brightwater", "SUP-02": "heron"}


def demo_dir() -> Path:
    return Path(settings.VAR_DIR) / "tracker" / "demo"


def _supplier_codes() -> None:
    for code, slug in DEMO_SUPPLIERS.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            SupplierCode.objects.get_or_create(code=code, defaults={"organisation": organisation})


@transaction.atomic
def seed_tracker_demo(*, days: int = DEMO_DAYS) -> str:
    """Store `days` daily runs unless the demo's runs exist; returns a one-line summary."""
    if TrackerRun.objects.filter(source=RunSource.DAILY).exists():
        return "tracker demo runs already present"
    started = time.monotonic()
    _supplier_codes()
    folder = demo_dir()
    write_synthetic_dataset(
        folder,
        devices=DEMO_DEVICES,
        alerts=DEMO_ALERTS_PER_DAY * days,
        days=days,
        seed=DEMO_SEED,
    )
    state = folder / "state"
    if state.exists():  # a state left by a demo whose database was since removed
        shutil.rmtree(state)
    state.mkdir(parents=True)
    # Kept beside the state, as `kir tracker daily` keeps it: a run over the state uses it.
    inventory = state / "inventory.parquet"
    relabel_inventory(folder / "inventory.parquet", inventory, catalogue_labels())
    runs = []
    first_day = None
    for alerts in sorted((folder / "alerts").iterdir()):
        meta = ingest(IngestRequest(inventory=inventory, alerts=[alerts], state_dir=state))
        last = datetime.fromisoformat(meta["last_day"]).date()
        first_day = first_day or datetime.fromisoformat(meta["first_day"]).date()
        run = tracker_run_queue(
            actor=None,
            inputs=RunInputs(
                source=RunSource.DAILY,
                inventory=inventory,
                state_dir=state,
                day_from=first_day,
                day_to=last,
            ),
            queue_job=False,
        )
        run = run_now(run)
        # Dated the morning after its last day, as the daily schedule would have run it.
        at = datetime.combine(last + timedelta(days=1), day_time(6, 0), tzinfo=UTC)
        TrackerRun.objects.filter(pk=run.pk).update(
            created_at=at, started_at=at, finished_at=at + timedelta(minutes=1)
        )
        runs.append(run)
    failed = [r.pk for r in runs if r.status != RunStatus.SUCCEEDED]
    if failed:
        raise RuntimeError(f"tracker demo runs {failed} failed: {runs[-1].error}")
    dmcs = link_finding_dmcs(inventory)
    known, parts = resolved_components()
    seconds = time.monotonic() - started
    return (
        f"{len(runs)} daily runs stored ({runs[-1].findings_count} findings in the latest; "
        f"{known} of {parts} finding components and {dmcs} DMCs in the catalogue) "
        f"in {seconds:.1f} s"
    )
