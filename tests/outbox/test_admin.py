"""The outbox in the admin: SECAS administrators see every job and retry failed ones."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from kir.outbox.models import Job, JobState
from kir.outbox.services import outbox_enqueue
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:outbox_job_changelist")


@pytest.fixture
def failed(test_kinds):
    job = outbox_enqueue(kind="record", key="notice.failed", payload={})
    Job.objects.filter(pk=job.pk).update(
        state=JobState.FAILED,
        attempts=8,
        last_error="attempt 8: refused",
        finished_at=timezone.now(),
    )
    return job


def _staff(username: str, category: str, role: str):
    organisation = OrganisationFactory(name=f"Org {category}", category=category)
    return UserFactory(username=username, organisation=organisation, role=role, is_staff=True)


def test_it_lists_failed_jobs_with_their_error(client, failed):
    client.force_login(_staff("secas-admin", PartyCategory.SECAS, Role.ADMINISTRATOR))
    listing = client.get(CHANGELIST, {"state": "failed"})
    assert listing.status_code == 200 and "notice.failed" in listing.content.decode()
    page = client.get(reverse("admin:outbox_job_change", args=[failed.pk]))
    assert "attempt 8: refused" in page.content.decode()
    assert client.post(reverse("admin:outbox_job_change", args=[failed.pk])).status_code == 403


def test_it_retries_through_the_service(client, failed):
    client.force_login(_staff("secas-admin", PartyCategory.SECAS, Role.ADMINISTRATOR))
    response = client.post(
        CHANGELIST, {"action": "retry", "_selected_action": [str(failed.pk)]}, follow=True
    )
    assert "1 failed job(s) queued again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == JobState.PENDING and failed.attempts == 0
    assert AuditEvent.objects.filter(verb="outbox.retried", target_id=str(failed.pk)).exists()


def test_it_shows_no_outbox_to_other_staff(client, failed):
    client.force_login(_staff("dcc-admin", PartyCategory.DCC, Role.ADMINISTRATOR))
    assert client.get(CHANGELIST).status_code == 403
    client.post(CHANGELIST, {"action": "retry", "_selected_action": [str(failed.pk)]})
    assert Job.objects.get(pk=failed.pk).state == JobState.FAILED
