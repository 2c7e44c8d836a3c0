"""A run executed by a real `kir worker` process, killed with -9 in the middle of the run: the
run's progress was visible while it ran, the job comes back after its lease, a second worker
finishes it, and the findings are stored once, never half."""

from __future__ import annotations

import sys
import time

import pytest

from kir.outbox.models import Job, JobState
from kir.tracker.models import RunSource, RunStatus, TrackerFinding, TrackerRun
from kir.tracker.services import RunInputs, tracker_run_queue
from tests.outbox.processes import Children

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _wait_for(predicate, timeout: float, what: str) -> TrackerRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = TrackerRun.objects.get()
        if predicate(run):
            return run
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout} s: {TrackerRun.objects.get().__dict__}")


@pytest.fixture
def children(tmp_path, monkeypatch, tracker_var):
    monkeypatch.setenv("KIR_VAR_DIR", str(tracker_var))
    monkeypatch.setenv("KIR_OUTBOX_LEASE_SECONDS", "3")
    monkeypatch.setenv("KIR_SETTINGS_FILE", "")
    started = Children(tmp_path, None)
    yield started
    started.stop_all()


def _worker(children: Children, name: str):
    argv = [sys.executable, "-m", "kir.cli", "worker", "--name", name, "--timeout", "120"]
    return children.start(name, [*argv, "--poll", "0.2"])


def test_a_killed_worker_leaves_no_half_run_and_another_finishes_it(synthetic, children) -> None:
    run = tracker_run_queue(
        actor=None,
        inputs=RunInputs(
            source=RunSource.CLI,
            inventory=synthetic / "inventory.parquet",
            alerts=sorted((synthetic / "alerts").iterdir()),
        ),
    )
    first = _worker(children, "tracker-a")
    running = _wait_for(lambda r: r.status == RunStatus.RUNNING and r.progress > 0, 90, "progress")
    assert 0 < running.progress < 1
    first.kill9()
    assert not TrackerFinding.objects.exists()
    assert TrackerRun.objects.get().status == RunStatus.RUNNING
    _worker(children, "tracker-b")
    done = _wait_for(lambda r: r.is_finished, 110, "finished run")
    assert done.status == RunStatus.SUCCEEDED, done.error
    assert TrackerFinding.objects.filter(run=run).count() == done.findings_count > 0
    job = Job.objects.get(pk=run.job_id)
    assert job.state == JobState.DONE and job.worker == "tracker-b"
