"""The worker's claim, lease, attempts, backoff and final failure, run in this process."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from kir.outbox.models import Job, JobState
from kir.outbox.services import outbox_enqueue
from kir.outbox.worker import backoff_seconds, claim, deliver_due, release, run, work

pytestmark = pytest.mark.django_db


def _due_now(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(available_at=timezone.now() - timedelta(seconds=1))


def test_it_runs_due_jobs_in_order_and_marks_them_done(test_kinds):
    for n in range(3):
        outbox_enqueue(kind="record", key=f"k.{n}", payload={})
    assert deliver_due() == 3
    assert test_kinds == ["k.0", "k.1", "k.2"]
    assert set(Job.objects.values_list("state", "attempts")) == {(JobState.DONE, 1)}
    assert deliver_due() == 0  # done jobs are not run again


def test_it_leaves_a_job_alone_until_it_is_due(test_kinds):
    outbox_enqueue(kind="record", key="k.later", payload={}, delay=timedelta(minutes=5))
    assert deliver_due() == 0
    assert test_kinds == []


def test_it_leases_a_claim_so_no_other_worker_takes_it(test_kinds):
    outbox_enqueue(kind="record", key="k.1", payload={})
    [job] = claim(worker="a", batch=10, lease_seconds=60)
    assert job.attempts == 1 and job.worker == "a" and job.lease_token
    assert job.available_at > timezone.now() + timedelta(seconds=55)
    assert claim(worker="b", batch=10, lease_seconds=60) == []


def test_it_gives_a_crashed_workers_job_back_after_the_lease(test_kinds):
    outbox_enqueue(kind="record", key="k.1", payload={})
    [lost] = claim(worker="a", batch=10, lease_seconds=60)
    _due_now(lost)  # the lease ran out: worker a died
    [again] = claim(worker="b", batch=10, lease_seconds=60)
    assert again.attempts == 2 and again.worker == "b"
    # Worker a, slow rather than dead, finishes late: it cannot record an outcome over b's claim.
    run(lost)
    job = Job.objects.get()
    assert job.state == JobState.PENDING and job.lease_token == again.lease_token
    assert run(again)
    assert Job.objects.get().state == JobState.DONE


def test_it_retries_with_backoff_then_fails(test_kinds, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 10
    job = outbox_enqueue(kind="fail", key="k.1", payload={}, max_attempts=3)
    for attempt in (1, 2):
        before = timezone.now()
        assert deliver_due() == 0
        job.refresh_from_db()
        assert job.state == JobState.PENDING and job.attempts == attempt
        delay = (job.available_at - before).total_seconds()
        ceiling = 10 * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling + 1
        assert job.last_error.startswith(f"attempt {attempt}: ConnectionRefusedError")
        _due_now(job)
    deliver_due()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 3 and job.finished_at
    assert "receiver down for k.1" in job.last_error


def test_it_fails_at_once_when_the_receiver_refuses_for_good(test_kinds):
    job = outbox_enqueue(kind="refuse", key="k.1", payload={})
    deliver_due()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 1
    assert job.last_error == "attempt 1: PermanentFailure: receiver refused k.1 for good"


def test_it_fails_a_job_whose_last_attempt_died(test_kinds):
    job = outbox_enqueue(kind="record", key="k.1", payload={}, max_attempts=1)
    claim(worker="a", batch=1, lease_seconds=60)
    _due_now(job)
    assert claim(worker="b", batch=1, lease_seconds=60) == []
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "lease ran out" in job.last_error
    assert test_kinds == []


def test_it_hands_back_claimed_jobs_it_did_not_start(test_kinds):
    outbox_enqueue(kind="record", key="k.1", payload={})
    claimed = claim(worker="a", batch=1, lease_seconds=60)
    release(claimed)
    job = Job.objects.get()
    assert job.attempts == 0 and job.available_at <= timezone.now()
    assert deliver_due() == 1


def test_backoff_doubles_up_to_its_ceiling_with_jitter(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 3600
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delays = {backoff_seconds(attempts) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_the_loop_drains_and_stops_by_itself(test_kinds):
    for n in range(5):
        outbox_enqueue(kind="record", key=f"k.{n}", payload={})
    done = work(
        worker="w",
        stop=threading.Event(),
        batch=2,
        lease_seconds=60,
        poll_seconds=0.05,
        drain=True,
        timeout_seconds=30,
    )
    assert done == 5 and len(test_kinds) == 5
