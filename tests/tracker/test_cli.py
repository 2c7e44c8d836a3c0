"""`kir tracker analyse --save` and `kir tracker daily`: runs stored from the command line, the
daily landing folder ingested once per day."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kir.outbox.worker import deliver_due
from kir.tracker.models import RunSource, RunStatus, TrackerRun

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _call(*args) -> str:
    out = io.StringIO()
    call_command("tracker", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_analyse_save_stores_a_run(synthetic) -> None:
    out = _call(
        "analyse",
        "--inventory",
        synthetic / "inventory.parquet",
        "--alerts",
        synthetic / "alerts" / "*.parquet",
        "--save",
    )
    run = TrackerRun.objects.get()
    assert out.strip() == f"run {run.pk} stored: {run.findings_count} findings"
    assert run.source == RunSource.CLI and run.status == RunStatus.SUCCEEDED
    assert run.started_by is None and run.job is None
    assert run.findings.count() == run.findings_count > 0


def test_analyse_save_of_a_bad_file_stores_the_failure(synthetic, tmp_path) -> None:
    bad = tmp_path / "alerts.parquet"
    bad.write_text("device_id,alert_code\n")
    with pytest.raises(CommandError, match="failed"):
        _call("analyse", "--inventory", synthetic / "inventory.parquet", "--alerts", bad, "--save")
    run = TrackerRun.objects.get()
    assert run.status == RunStatus.FAILED and "alerts.parquet" in run.error
    assert not run.findings.exists()


def test_daily_ingests_each_day_once_and_queues_a_run(synthetic, tmp_path) -> None:
    landing, state = tmp_path / "landing", tmp_path / "state"
    landing.mkdir()
    days = sorted((synthetic / "alerts").iterdir())
    shutil.copy(synthetic / "inventory.parquet", landing)
    shutil.copy(days[0], landing)
    first = _call("daily", "--landing", landing, "--state", state)
    assert "run" in first and "queued" in first
    assert (state / "inventory.parquet").is_file()
    assert sorted(p.name for p in landing.iterdir()) == ["processed"]
    assert _call("daily", "--landing", landing, "--state", state).endswith("nothing to do\n")
    shutil.copy(days[1], landing)
    _call("daily", "--landing", landing, "--state", state)
    runs = list(TrackerRun.objects.order_by("id"))
    assert [r.source for r in runs] == [RunSource.DAILY] * 2
    assert runs[1].day_from == runs[0].day_from  # the window starts at the first ingested day
    assert runs[1].day_to == runs[0].day_to + timedelta(days=1)
    shutil.copy(days[1], landing)  # delivered again
    with pytest.raises(CommandError, match="already ingested"):
        _call("daily", "--landing", landing, "--state", state)
    assert (landing / "refused" / days[1].name).is_file()
    assert TrackerRun.objects.count() == 2
    deliver_due()
    for run in TrackerRun.objects.all():
        assert run.status == RunStatus.SUCCEEDED, run.error
    last = TrackerRun.objects.order_by("id").last()
    assert last.window_days == 2 and last.state_dir == str(state)
