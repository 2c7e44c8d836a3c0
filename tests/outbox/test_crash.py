"""Crash tests with real processes: `kill -9` a worker mid-delivery, two workers at once, and a
web process killed between its write and its commit. They run on whichever database the suite
runs on (scripts/run_tests.py runs SQLite, then PostgreSQL), against a real SMTP server."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from kir.outbox.mail import email_enqueue, message_id
from kir.outbox.models import Job, JobState
from kir.register.models import IssueState, ManufacturerNotice
from tests.outbox.processes import Children
from tests.register.services.conftest import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WAIT_SECONDS = 90


@pytest.fixture
def children(tmp_path, smtp_server):
    started = Children(tmp_path, smtp_server)
    yield started
    started.stop_all()


def _queue(keys: list[str], delay: timedelta | None = None) -> None:
    for key in keys:
        job = email_enqueue(key=key, subject=key, text=f"Body of {key}", to=["ops@example.org"])
        if delay is not None and job is not None:
            Job.objects.filter(pk=job.pk).update(available_at=timezone.now() + delay)


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(smtp_server, children):
    keys = [f"crash.{n}" for n in range(6)]
    _queue(keys)
    smtp_server.hold(2)  # the SMTP server keeps the second message's DATA unanswered
    first = children.worker("worker-a", "--batch", "6", "--lease", "4")
    held = smtp_server.wait_for_held(timeout=WAIT_SECONDS)
    first.kill9()
    assert [m.message_id for m in smtp_server.received] == [message_id(keys[0])]
    in_flight = Job.objects.get(key=keys[1])
    assert in_flight.state == JobState.PENDING and in_flight.worker == "worker-a"
    lease_end = in_flight.available_at
    assert lease_end > timezone.now() - timedelta(seconds=1)  # still leased to the dead worker
    smtp_server.release()  # answers 451 to a connection nobody holds any more

    second = children.worker("worker-b", "--drain", "--poll", "0.2")
    assert second.wait(WAIT_SECONDS) == 0, second.output
    delivered = [m.message_id for m in smtp_server.received]
    assert sorted(delivered) == sorted(message_id(key) for key in keys)  # each exactly once
    assert held.message_id == message_id(keys[1])
    jobs = {job.key: job for job in Job.objects.all()}
    assert {job.state for job in jobs.values()} == {JobState.DONE}
    assert (jobs[keys[0]].worker, jobs[keys[0]].attempts) == ("worker-a", 1)
    for key in keys[1:]:  # claimed in the dead worker's batch, then again after its lease
        assert (jobs[key].worker, jobs[key].attempts) == ("worker-b", 2)
        assert jobs[key].finished_at >= lease_end


def test_two_workers_at_once_deliver_each_message_once(smtp_server, children):
    keys = [f"pair.{n:02d}" for n in range(30)]
    _queue(keys, delay=timedelta(minutes=10))
    smtp_server.delay_seconds = 0.05
    options = ("--drain", "--batch", "2", "--poll", "0.2")
    workers = [children.worker(name, *options) for name in ("worker-a", "worker-b")]
    for worker in workers:
        worker.wait_for_output("ready", timeout=WAIT_SECONDS)
    Job.objects.update(available_at=timezone.now())  # both are waiting: all due at once
    for worker in workers:
        assert worker.wait(WAIT_SECONDS) == 0, worker.output
    delivered = [m.message_id for m in smtp_server.received]
    assert sorted(delivered) == sorted(message_id(key) for key in keys)
    assert set(Job.objects.values_list("state", "attempts")) == {(JobState.DONE, 1)}
    assert set(Job.objects.values_list("worker", flat=True)) == {"worker-a", "worker-b"}


def test_sigterm_finishes_the_job_in_hand_and_hands_back_the_rest(smtp_server, children):
    keys = [f"term.{n}" for n in range(5)]
    _queue(keys)
    smtp_server.hold(1)
    worker = children.worker("worker-a", "--batch", "5", "--lease", "600")
    smtp_server.wait_for_held(timeout=WAIT_SECONDS)
    worker.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the signal arrives while the worker waits on the SMTP server
    smtp_server.release()  # the server answers 451: the job in hand fails and is retried later
    assert worker.wait(WAIT_SECONDS) == 0, worker.output
    jobs = {job.key: job for job in Job.objects.all()}
    assert (jobs[keys[0]].attempts, jobs[keys[0]].state) == (1, JobState.PENDING)
    assert "451" in jobs[keys[0]].last_error
    for key in keys[1:]:  # claimed, never started: due again now, no attempt spent
        assert (jobs[key].attempts, jobs[key].lease_token) == (0, "")
        assert jobs[key].available_at <= timezone.now()
    assert smtp_server.received == []


_TAKE_STEP = """
import os, signal, django
django.setup()
from django.db import transaction
from kir.accounts.models import User
from kir.register.models import Issue
from kir.register.services import issue_transition
with transaction.atomic():
    issue_transition(
        issue=Issue.objects.get(pk={issue}), actor=User.objects.get(pk={actor}),
        transition="notify_manufacturer", reason="Threshold met",
    )
    if {die}:
        os.kill(os.getpid(), signal.SIGKILL)  # after every write, before the commit
"""


def test_a_web_process_killed_before_its_commit_leaves_no_message(
    smtp_server, children, register_reference_data
):
    world = build_world()
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    step = {"issue": issue.pk, "actor": world.admin.pk}
    queued_before = set(Job.objects.values_list("key", flat=True))  # the submission's
    killed = children.python("killed", _TAKE_STEP.format(**step, die=True))
    assert killed.wait(WAIT_SECONDS) == -9, killed.output
    issue.refresh_from_db()
    assert issue.state == IssueState.UNDER_ASSESSMENT
    assert set(Job.objects.values_list("key", flat=True)) == queued_before
    assert not ManufacturerNotice.objects.exists()

    committed = children.python("committed", _TAKE_STEP.format(**step, die=False))
    assert committed.wait(WAIT_SECONDS) == 0, committed.output
    job = Job.objects.get(kind="email", key__startswith="manufacturer-notice.")
    worker = children.worker("worker-a", "--drain", "--poll", "0.2")
    assert worker.wait(WAIT_SECONDS) == 0, worker.output
    [mail] = [m for m in smtp_server.received if m.message_id == message_id(job.key)]
    assert mail.message_id == message_id(job.key) and issue.human_id in mail.subject
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.DONE}
