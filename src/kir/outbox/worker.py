"""The worker's loop: claim due jobs under a lease, run each, record the outcome.

Claiming is one short transaction. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers
claim at once without waiting on or taking each other's rows; SQLite ignores it and instead runs
every write transaction IMMEDIATE (settings), so one claimer at a time holds the write lock. A
job runs outside any transaction: a slow receiver holds no lock. Finishing requires the claim's
lease token, so a worker whose lease ran out cannot overwrite the outcome of the worker that
reclaimed the job.

On PostgreSQL the `kir worker` session's own writes (claims, outcomes) do not wait for the WAL
to reach disk (`synchronous_commit = off` for its connection). That risks losing the last
fraction of a second of them if the database server itself crashes: a claim lost is claimed
again, an outcome lost is a delivery made again with the same key (Message-ID, webhook-id),
which at-least-once delivery allows and receivers drop. The changes that queue jobs keep full
durability. The flush cost 7.5 ms a commit here, against 0.15 ms without the wait.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from kir.outbox.handlers import HANDLERS, IDLE_HOOKS, PermanentFailure
from kir.outbox.models import Job, JobState

logger = logging.getLogger("kir.outbox")
_MAX_ERROR_CHARS = 4000


def backoff_seconds(attempts: int) -> float:
    """Exponential in the attempts made, capped, with equal jitter: half fixed, half random, so
    retries after an outage spread out but never come back at once."""
    ceiling = min(
        settings.OUTBOX_BACKOFF_MAX_SECONDS,
        settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class _NoFlushWait:
    """Sets `synchronous_commit = off` once on each new connection the worker opens."""

    def __init__(self) -> None:
        self._done_on: object = None

    def __call__(self) -> None:
        if connection.vendor != "postgresql":
            return
        connection.ensure_connection()
        if self._done_on is not connection.connection:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")
            self._done_on = connection.connection


@transaction.atomic
def claim(*, worker: str, batch: int, lease_seconds: float) -> list[Job]:
    now = timezone.now()
    # A job whose last attempt's lease ran out had a worker die on it: no attempt is left.
    Job.objects.filter(
        state=JobState.PENDING, available_at__lte=now, attempts__gte=F("max_attempts")
    ).update(
        state=JobState.FAILED,
        finished_at=now,
        last_error="the worker running the last attempt stopped before finishing (lease ran out)",
    )
    due = (
        Job.objects.select_for_update(skip_locked=True)
        .filter(state=JobState.PENDING, available_at__lte=now)
        .order_by("available_at", "id")
    )
    ids = list(due.values_list("id", flat=True)[:batch])
    if not ids:
        return []
    token = uuid.uuid4().hex
    Job.objects.filter(pk__in=ids).update(
        attempts=F("attempts") + 1,
        available_at=now + timedelta(seconds=lease_seconds),
        lease_token=token,
        worker=worker,
    )
    return list(Job.objects.filter(pk__in=ids, lease_token=token).order_by("available_at", "id"))


def run(job: Job) -> bool:
    """Run one claimed job and record its outcome; True when it is done."""
    try:
        handler = import_string(HANDLERS[job.kind])
        handler(job)
    except PermanentFailure as error:
        _record_failure(job, error, permanent=True)
        return False
    except Exception as error:  # any failure of a receiver is retried, never lost
        _record_failure(job, error, permanent=job.kind not in HANDLERS)
        return False
    finished = _claimed(job).update(
        state=JobState.DONE, finished_at=timezone.now(), lease_token="", last_error=""
    )
    if not finished:
        logger.warning("job %s (%s) was done after its lease ran out", job.pk, job.key)
    return True


def _claimed(job: Job) -> QuerySet[Job]:
    return Job.objects.filter(pk=job.pk, lease_token=job.lease_token, state=JobState.PENDING)


def _record_failure(job: Job, error: BaseException, *, permanent: bool) -> None:
    now = timezone.now()
    message = f"attempt {job.attempts}: {type(error).__name__}: {error}"
    if not isinstance(error, PermanentFailure):
        message += "\n" + "".join(traceback.format_exception(error))[-_MAX_ERROR_CHARS:]
    fields: dict[str, object] = {"last_error": message[:_MAX_ERROR_CHARS], "lease_token": ""}
    if permanent or job.attempts >= job.max_attempts:
        fields.update(state=JobState.FAILED, finished_at=now)
    else:
        fields["available_at"] = now + timedelta(seconds=backoff_seconds(job.attempts))
    _claimed(job).update(**fields)
    logger.warning("job %s (%s) failed: %s", job.pk, job.key, message.splitlines()[0])


def release(jobs: list[Job]) -> None:
    """Hand back claimed jobs that were never started (the worker is stopping)."""
    for job in jobs:
        _claimed(job).update(
            available_at=timezone.now(), attempts=F("attempts") - 1, lease_token=""
        )


def idle() -> None:
    """Let handlers close what they keep open between jobs (the worker has nothing to do)."""
    for hook in IDLE_HOOKS:
        import_string(hook)()


def deliver_due(*, worker: str = "in-process", batch: int = 50) -> int:
    """Run every job due now, in this process; returns how many were done."""
    done = 0
    try:
        while claimed := claim(
            worker=worker, batch=batch, lease_seconds=settings.OUTBOX_LEASE_SECONDS
        ):
            done += sum(run(job) for job in claimed)
    finally:
        idle()
    return done


def seconds_until_next_due() -> float | None:
    """None when no job is pending at all (leased ones count as pending)."""
    due = (
        Job.objects.filter(state=JobState.PENDING)
        .order_by("available_at")
        .values_list("available_at", flat=True)
        .first()
    )
    if due is None:
        return None
    return max((due - timezone.now()).total_seconds(), 0.0)


def work(
    *,
    worker: str,
    stop: threading.Event,
    batch: int,
    lease_seconds: float,
    poll_seconds: float,
    drain: bool = False,
    timeout_seconds: float | None = None,
) -> int:
    """Claim and run jobs until `stop` is set, the timeout passes, or (with `drain`) no job is
    pending any more. Returns how many jobs were done."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    done = 0
    no_flush_wait = _NoFlushWait()
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        no_flush_wait()
        claimed = claim(worker=worker, batch=batch, lease_seconds=lease_seconds)
        for index, job in enumerate(claimed):
            if stop.is_set():
                release(claimed[index:])
                break
            done += run(job)
        if claimed:
            continue  # on the same database connection: a new one per batch cost 50 ms
        idle()
        if not connection.in_atomic_block:  # (a test's transaction must stay open)
            close_old_connections()  # a long-lived worker survives a database restart
        wait = seconds_until_next_due()
        if wait is None and drain:
            break
        stop.wait(poll_seconds if wait is None else min(max(wait, 0.01), poll_seconds))
    idle()
    return done
