"""Writes to the outbox: queue a side effect inside the caller's transaction; retry failed ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kir.accounts.models import User
from kir.accounts.permissions import Permission, user_has_permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.outbox.handlers import HANDLERS
from kir.outbox.models import Job, JobState


@transaction.atomic
def outbox_enqueue(
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    delay: timedelta | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Queue one delivery. Call it inside the transaction of the change that causes it, so the row
    commits with the change or not at all. A key already queued returns the row already there."""
    if kind not in HANDLERS:
        raise ValueError(f"outbox kind {kind!r}: expected one of {', '.join(sorted(HANDLERS))}")
    job, _ = Job.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "payload": payload,
            "available_at": timezone.now() + (delay or timedelta()),
            "max_attempts": max_attempts or settings.OUTBOX_MAX_ATTEMPTS,
        },
    )
    return job


def may_retry_jobs(actor: User) -> bool:
    organisation = getattr(actor, "organisation", None)
    return bool(
        organisation is not None
        and organisation.is_secas
        and user_has_permission(actor, Permission.ADMINISTER_REGISTER)
    )


@transaction.atomic
def outbox_retry(*, actor: User, jobs: Iterable[Job]) -> list[Job]:
    """Give failed jobs a fresh set of attempts, due now. Jobs not failed are left alone."""
    if not may_retry_jobs(actor):
        raise PermissionDenied("Only SECAS administrators may retry failed deliveries.")
    ids = [job.pk for job in jobs]
    retried = list(Job.objects.select_for_update().filter(pk__in=ids, state=JobState.FAILED))
    for job in retried:
        audit_record(
            actor=actor,
            verb=AuditEventType.OUTBOX_RETRIED,
            target=job,
            data={"kind": job.kind, "key": job.key, "attempts": job.attempts},
        )
    Job.objects.filter(pk__in=[job.pk for job in retried]).update(
        state=JobState.PENDING,
        attempts=0,
        available_at=timezone.now(),
        lease_token="",
        finished_at=None,
    )
    return retried
