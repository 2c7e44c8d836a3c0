"""Queueing side effects in the caller's transaction; SECAS retrying failed ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from kir.outbox.models import Job, JobState
from kir.outbox.services import outbox_enqueue, outbox_retry
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_keeps_one_row_per_key(test_kinds):
    first = outbox_enqueue(kind="record", key="k.1", payload={"n": 1})
    again = outbox_enqueue(kind="record", key="k.1", payload={"n": 2})
    assert again.pk == first.pk
    assert Job.objects.get().payload == {"n": 1}


def test_it_writes_nothing_when_the_change_rolls_back(test_kinds):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(kind="record", key="k.1", payload={})
        raise RuntimeError("the change failed")
    assert not Job.objects.exists()


def test_it_refuses_a_kind_no_handler_runs():
    with pytest.raises(ValueError, match="outbox kind 'fax'"):
        outbox_enqueue(kind="fax", key="k.1", payload={})


def test_it_delays_a_job_when_asked(test_kinds):
    job = outbox_enqueue(kind="record", key="k.1", payload={}, delay=timedelta(hours=1))
    assert job.available_at > timezone.now() + timedelta(minutes=59)
    assert job.state == JobState.PENDING and job.attempts == 0


@pytest.fixture
def failed(test_kinds):
    job = outbox_enqueue(kind="record", key="k.failed", payload={}, max_attempts=2)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, attempts=2, last_error="attempt 2: boom", finished_at=timezone.now()
    )
    return job


def test_it_retries_failed_jobs_for_a_secas_administrator(secas_admin, failed):
    done = outbox_enqueue(kind="record", key="k.done", payload={})
    Job.objects.filter(pk=done.pk).update(state=JobState.DONE)
    retried = outbox_retry(actor=secas_admin, jobs=Job.objects.all())
    assert [job.pk for job in retried] == [failed.pk]
    failed.refresh_from_db()
    assert failed.state == JobState.PENDING and failed.attempts == 0
    assert failed.available_at <= timezone.now() and failed.finished_at is None
    assert failed.last_error == "attempt 2: boom"  # kept until the next attempt tells more
    assert Job.objects.get(pk=done.pk).state == JobState.DONE
    event = AuditEvent.objects.get(verb="outbox.retried")
    assert event.data == {"kind": "record", "key": "k.failed", "attempts": 2}


@pytest.mark.parametrize(
    ("category", "role"),
    [
        (PartyCategory.SECAS, Role.COORDINATOR),
        (PartyCategory.DCC, Role.ADMINISTRATOR),
        (PartyCategory.LARGE_SUPPLIER, Role.ADMINISTRATOR),
    ],
)
def test_it_refuses_retry_to_anyone_else(failed, category, role):
    organisation = OrganisationFactory(name=f"Org {category}", category=category)
    actor = UserFactory(username=f"u-{category}-{role}", organisation=organisation, role=role)
    with pytest.raises(PermissionDenied):
        outbox_retry(actor=actor, jobs=[failed])
    assert Job.objects.get(pk=failed.pk).state == JobState.FAILED
    assert not AuditEvent.objects.filter(verb="outbox.retried").exists()
