"""What a webhook carries is what the endpoint's organisation may see (kir.register.selectors):
no event about an issue hidden from it, no installation-level evidence of others."""

from __future__ import annotations

import pytest

from kir.notify.webhooks.events import webhook_events_enqueue
from kir.outbox.models import Job
from kir.register import services
from kir.register.models import IssueState
from tests.factories import EvidenceFactory
from tests.notify.webhooks_world import expand_events, subscribe

pytestmark = pytest.mark.django_db


def _sent_to(endpoint):
    expand_events()
    jobs = Job.objects.filter(kind="webhook").order_by("id")
    return [job.payload["body"] for job in jobs if job.payload["endpoint_id"] == endpoint.pk]


def test_a_dispute_before_publication_reaches_only_who_sees_the_issue(world, receiver):
    reporter = subscribe(world, "reporter", receiver, events=["issue.disputed"])
    bystander = subscribe(world, "other_supplier", receiver, events=["issue.disputed"])
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    services.manufacturer_dispute(issue=issue, actor=world.maker, rationale="Not our firmware.")
    [body] = _sent_to(reporter)
    assert body["type"] == "issue.disputed"
    assert body["data"]["issue"]["disputed"] is True
    assert body["data"]["issue"]["statements"][-1]["text"] == "Not our firmware."
    assert _sent_to(bystander) == []


def test_installation_level_evidence_goes_only_to_its_owner_and_oversight(
    world, receiver, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    endpoints = {
        key: subscribe(world, key, receiver, events=["issue.updated"])
        for key in ("reporter", "other_supplier", "manufacturer", "secas", "dcc")
    }
    issue = world.issue_in(IssueState.PUBLISHED)
    for installation_level, description in ((True, "MPANs of our sites"), (False, "A log")):
        EvidenceFactory(
            issue=issue,
            organisation=world.organisations["reporter"],
            uploaded_by=world.reporter,
            description=description,
            installation_level=installation_level,
        )
    webhook_events_enqueue(event="issue.updated", issue=issue)
    for key, endpoint in endpoints.items():
        [body] = _sent_to(endpoint)
        described = {item["description"] for item in body["data"]["issue"]["evidence"]}
        expected = (
            {"A log", "MPANs of our sites"} if key in ("reporter", "secas", "dcc") else {"A log"}
        )
        assert described == expected, key


def test_an_update_of_a_published_issue_is_an_event_and_of_a_draft_is_not(world, receiver):
    endpoint = subscribe(world, "reporter", receiver, events=["issue.updated"])
    draft = world.draft()
    services.issue_update(issue=draft, actor=world.reporter, expected_version=1, title="New")
    assert _sent_to(endpoint) == []
    issue = world.issue_in(IssueState.PUBLISHED)
    updated = services.issue_update(
        issue=issue,
        actor=world.admin,
        expected_version=issue.version,
        impact_rationale="Seen at 40 sites.",
    )
    [body] = _sent_to(endpoint)
    assert body["data"]["changed"] == ["impact_rationale"]
    assert body["data"]["issue"]["version"] == updated.version > 1
    assert body["data"]["issue"]["impact_rationale"] == "Seen at 40 sites."
