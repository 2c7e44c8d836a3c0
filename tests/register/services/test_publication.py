"""The publication gate through the services: each unmet condition, second approver, record."""

from __future__ import annotations

import pytest

from kir.register import services
from kir.register.errors import TransitionRefused
from kir.register.models import (
    Issue,
    IssueState,
    ManufacturerNotice,
    Publication,
    PublicationStatus,
    StatementKind,
)
from tests.factories import DeviceModelFactory, DeviceVersionFactory, ManufacturerFactory
from tests.register.services.conftest import expire_notices


def _notified(world, **overrides) -> Issue:
    return world.issue_in(IssueState.MANUFACTURER_NOTIFIED, **overrides)


def _propose(world, issue):
    return services.issue_transition(
        issue=issue, actor=world.admin, transition="propose_publication"
    )


def _publish(world, issue, actor=None):
    return services.issue_transition(
        issue=issue,
        actor=actor or world.second_admin,
        transition="publish",
        expected_version=Issue.objects.get(pk=issue.pk).version,
    )


def _refusal(world, issue, actor=None) -> list[str]:
    with pytest.raises(TransitionRefused) as refusal:
        _publish(world, issue, actor)
    assert Issue.objects.get(pk=issue.pk).state == IssueState.MANUFACTURER_NOTIFIED
    return refusal.value.reasons


def _ready(world, **overrides) -> Issue:
    issue = _notified(world, **overrides)
    services.manufacturer_acknowledge(issue=issue, actor=world.maker)
    return _propose(world, issue)


def test_it_publishes_with_a_second_administrator_and_keeps_the_record(world):
    issue = _ready(world)
    issue = _publish(world, issue)
    assert issue.state == IssueState.PUBLISHED
    assert issue.published_at is not None
    record = Publication.objects.get(issue=issue)
    assert record.status == PublicationStatus.APPROVED
    assert (record.proposed_by, record.approved_by) == (world.admin, world.second_admin)
    assert record.policy == services.policy_in_force()
    assert record.snapshot["policy_version"] == record.policy.version
    assert record.snapshot["evidence_level"] == "corroborated"
    assert record.snapshot["impact_level"] == "high"
    assert record.snapshot["root_cause_status"] == "unknown"
    assert record.snapshot["manufacturers"][0]["responded"] is True


def test_it_refuses_the_proposer_as_approver(world):
    issue = _ready(world)
    reasons = _refusal(world, issue, actor=world.admin)
    assert len(reasons) == 1
    assert "cannot also approve it" in reasons[0]


def test_it_refuses_publication_without_a_proposal(world):
    issue = _notified(world)
    services.manufacturer_acknowledge(issue=issue, actor=world.maker)
    assert _refusal(world, issue) == ["Publication has not been proposed yet."]


def test_it_refuses_evidence_below_the_policy(world):
    issue = _ready(world)
    issue = services.issue_update(
        issue=issue, actor=world.admin, expected_version=issue.version, evidence_level="reported"
    )
    reasons = _refusal(world, issue)
    assert len(reasons) == 1
    assert reasons[0].startswith("Evidence level is reported")


def test_it_refuses_impact_below_the_policy(world):
    issue = _ready(world)
    issue = services.issue_update(
        issue=issue, actor=world.admin, expected_version=issue.version, impact_level="low"
    )
    reasons = _refusal(world, issue)
    assert len(reasons) == 1
    assert reasons[0].startswith("Impact level is low")


def test_it_waits_for_the_manufacturer_until_its_notice_period_passes(world):
    issue = _notified(world)
    with pytest.raises(TransitionRefused) as refusal:
        _propose(world, issue)
    assert "has not responded and its notice period runs until" in refusal.value.reasons[0]
    expire_notices(issue)
    _propose(world, issue)
    assert _publish(world, issue).state == IssueState.PUBLISHED


def test_it_refuses_a_manufacturer_that_was_never_notified(world):
    issue = _ready(world)
    other_org = world.organisations["other_supplier"]
    maker = ManufacturerFactory(identifier="7C7C", name="Hubco", organisation=other_org)
    version = DeviceVersionFactory(device_model=DeviceModelFactory(manufacturer=maker))
    issue = services.issue_update(
        issue=issue,
        actor=world.admin,
        expected_version=issue.version,
        products=[{"device_version": world.version}, {"device_version": version}],
    )
    assert _refusal(world, issue) == ["World other_supplier has not been sent a notice."]
    sent = services.manufacturer_notices_send_missing(issue=issue, actor=world.admin)
    assert [n.organisation for n in sent] == [other_org]
    expire_notices(issue)
    assert _publish(world, issue).state == IssueState.PUBLISHED


def test_it_refuses_a_manufacturer_nobody_can_notify(world):
    orphan = ManufacturerFactory(identifier="5E5E", name="Orphan Devices")
    version = DeviceVersionFactory(device_model=DeviceModelFactory(manufacturer=orphan))
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    issue = services.issue_update(
        issue=issue,
        actor=world.admin,
        expected_version=issue.version,
        products=[{"device_version": world.version}, {"device_version": version}],
    )
    with pytest.raises(TransitionRefused) as refusal:
        world.take(issue, "notify_manufacturer")
    assert refusal.value.reasons == [
        "Manufacturer Orphan Devices has no organisation in the register, so it cannot be "
        "notified; link it to one in the catalogue first."
    ]


def test_it_refuses_unresolved_language_until_reworded_or_overridden(world):
    issue = _ready(world)
    statement = services.statement_add(
        issue=issue,
        actor=world.reporter,
        kind=StatementKind.OBSERVATION,
        text="The Acme hub is defective.",
    )
    reasons = _refusal(world, issue)
    assert len(reasons) == 1
    assert 'contains "defective"' in reasons[0]
    services.language_override(
        issue=issue,
        actor=world.second_admin,
        field=f"statement:{statement.pk}",
        phrase="defective",
        justification="The reporter's words, quoted as its observation.",
    )
    assert _publish(world, issue).state == IssueState.PUBLISHED


def test_it_accepts_a_rewording_by_superseding(world):
    issue = _ready(world)
    first = services.statement_add(
        issue=issue,
        actor=world.reporter,
        kind=StatementKind.OBSERVATION,
        text="The hub is faulty.",
    )
    assert len(_refusal(world, issue)) == 1
    services.statement_add(
        issue=issue,
        actor=world.reporter,
        kind=StatementKind.CORRECTION,
        text="The hub repeats alert 8F35.",
        supersedes=first,
    )
    assert _publish(world, issue).state == IssueState.PUBLISHED


def test_it_lists_every_unmet_condition_at_once(world):
    issue = _notified(world)
    _propose_refused = pytest.raises(TransitionRefused)
    issue = services.issue_update(
        issue=issue,
        actor=world.admin,
        expected_version=issue.version,
        evidence_level="reported",
        impact_level="low",
        description="A breach of the SEC.",
    )
    with _propose_refused as refusal:
        _propose(world, issue)
    assert len(refusal.value.reasons) == 4


def test_it_cancels_a_proposal_and_allows_a_new_one(world):
    issue = _ready(world)
    with pytest.raises(TransitionRefused):
        _propose(world, issue)
    services.issue_transition(
        issue=issue, actor=world.admin, transition="cancel_publication_proposal", reason="Wait"
    )
    assert Publication.objects.get(issue=issue).status == PublicationStatus.CANCELLED
    _propose(world, issue)
    assert Publication.objects.filter(issue=issue, status="proposed").count() == 1


def test_it_uses_the_policy_in_force_at_approval(world):
    issue = _ready(world)
    services.policy_update(
        actor=world.admin,
        minimum_evidence_level="established",
        minimum_impact_level="moderate",
        notice_period_business_days=10,
        second_approver_required=True,
    )
    reasons = _refusal(world, issue)
    assert "requires at least established" in reasons[0]
    assert ManufacturerNotice.objects.filter(issue=issue).count() == 1
