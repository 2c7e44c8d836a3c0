"""Webhooks end to end on a real HTTP receiver that verifies signatures with `standardwebhooks`:
queued in the change's transaction, signed, retried with the outbox's backoff, logged, and
disabled (owners told) after a 410 or repeated failures."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from kir.notify.models import Notification
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.notify.webhooks.models import WebhookDelivery
from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
from kir.register.models import IssueState
from tests.notify.webhooks_world import expand_events, subscribe

pytestmark = pytest.mark.django_db


def _webhook_jobs():
    return Job.objects.filter(kind="webhook").order_by("id")


def test_it_delivers_a_signed_issue_published_when_an_issue_is_published(world, receiver):
    subscribe(world, "other_supplier", receiver, events=["issue.published"])
    issue = world.issue_in(IssueState.PUBLISHED)
    [job] = expand_events()  # queued by the publication itself, nothing before it
    assert deliver_due() >= 1
    [delivery] = receiver.wait_for(1)
    assert delivery.verified_with == receiver.secrets[0]
    assert delivery.webhook_id == job.key
    payload = delivery.payload
    assert payload["type"] == "issue.published"
    assert payload["data"]["issue"]["human_id"] == issue.human_id
    assert payload["data"]["issue"]["state"] == IssueState.PUBLISHED
    assert payload["data"]["issue"]["url"].endswith(f"/issues/{issue.human_id}/")
    [logged] = WebhookDelivery.objects.all()
    assert (logged.status_code, logged.attempt, logged.webhook_id) == (200, 1, job.key)
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_it_sends_only_the_events_an_endpoint_asked_for(world, receiver):
    subscribe(world, "other_supplier", receiver, events=["issue.withdrawn"])
    issue = world.issue_in(IssueState.PUBLISHED)
    assert not Job.objects.filter(kind__startswith="webhook").exists()
    world.take(issue, "withdraw")
    [job] = expand_events()
    assert job.payload["event"] == "issue.withdrawn"


def test_it_retries_a_500_with_backoff_then_delivers(world, receiver, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 1
    receiver.answers = [500, 200]
    subscribe(world, "other_supplier", receiver)
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    [job] = expand_events()
    deliver_due()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert "HTTP 500" in job.last_error
    assert job.available_at > timezone.now()  # not before its backoff
    while not deliver_due():
        time.sleep(0.1)
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id == job.key
    assert second.at - first.at >= 0.5  # equal jitter: at least half the base backoff
    assert first.verified_with and second.verified_with
    log = WebhookDelivery.objects.order_by("id").values_list("attempt", "status_code")
    assert list(log) == [(1, 500), (2, 200)]
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_a_410_disables_the_endpoint_and_tells_its_owners(world, receiver, smtp_server):
    receiver.answers = [410]
    endpoint = subscribe(world, "other_supplier", receiver)
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2027-01"})
    deliver_due()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    states = list(_webhook_jobs().values_list("state", flat=True))
    assert states == [JobState.FAILED, JobState.FAILED]  # the second is not sent at all
    assert len(receiver.received) == 1
    owner = "w-other_supplier-administrator"
    [told] = Notification.objects.filter(user__username=owner)
    assert endpoint.url in told.title and told.url == f"/webhooks/{endpoint.pk}/"
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == [f"{owner}@example.org"]
    assert endpoint.url in mail.subject and "410" in mail.body
    assert not Notification.objects.exclude(user__username=owner).exists()


def test_repeated_failures_disable_the_endpoint_once(world, receiver, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 0
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.answers = [500, 503, 502, 500]
    endpoint = subscribe(world, "other_supplier", receiver)
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    deliver_due()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "3 deliveries in a row failed" in endpoint.disabled_reason
    assert endpoint.consecutive_failures == 3
    assert len(receiver.received) == 3
    assert _webhook_jobs().get().state == JobState.FAILED
    assert Job.objects.filter(kind="email").count() == 1


def test_a_success_resets_the_failure_count(world, receiver, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 0
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.answers = [500, 500, 200, 500, 500, 200]
    endpoint = subscribe(world, "other_supplier", receiver)
    for edition in ("2026-12", "2027-01"):
        webhook_events_enqueue(event="tracker.edition_published", data={"edition": edition})
        deliver_due()
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    assert set(_webhook_jobs().values_list("state", flat=True)) == {JobState.DONE}


def test_a_loopback_receiver_is_refused_outside_the_tests(world, receiver, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    subscribe(world, "other_supplier", receiver)
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    deliver_due()
    assert receiver.received == []
    job = _webhook_jobs().get()
    assert job.state == JobState.FAILED and "127.0.0.1" in job.last_error
    [logged] = WebhookDelivery.objects.all()
    assert logged.status_code is None and "may not reach" in logged.error


def test_a_receiver_that_does_not_answer_is_given_up_on_in_bounded_time(world, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.hold(1)
    subscribe(world, "other_supplier", receiver)
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    started = time.monotonic()
    deliver_due()
    assert time.monotonic() - started < 5
    [logged] = WebhookDelivery.objects.all()
    assert logged.status_code is None and "timed out" in logged.error
    assert _webhook_jobs().get().state == JobState.PENDING  # retried later
