"""Threshold policy versions: exactly one in force; a change is a new version."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import ThresholdPolicy
from kir.register.services.policy import policy_terms

TERMS = {
    "minimum_evidence_level": "established",
    "minimum_impact_level": "high",
    "notice_period_business_days": 15,
    "second_approver_required": True,
}


def test_it_starts_with_the_seeded_version_in_force(db):
    policy = services.policy_in_force()
    assert (policy.version, policy.minimum_evidence_level, policy.minimum_impact_level) == (
        1,
        "corroborated",
        "moderate",
    )
    assert policy.notice_period_business_days == 10 and policy.second_approver_required


def test_it_makes_a_new_version_and_retires_the_old(world):
    new = services.policy_update(actor=world.admin, note="Panel decision 2026/04", **TERMS)
    again = services.policy_update(
        actor=world.second_admin, **{**TERMS, "notice_period_business_days": 5}
    )
    assert (new.version, again.version) == (2, 3)
    assert list(ThresholdPolicy.objects.filter(in_force=True)) == [again]
    old = ThresholdPolicy.objects.get(version=1)
    assert old.minimum_evidence_level == "corroborated" and not old.in_force
    event = AuditEvent.objects.filter(verb="policy.updated").first()
    assert event.data["replaces"] == 1


def test_it_keeps_the_tracker_grade_unless_told(world):
    assert services.policy_in_force().minimum_tracker_grade == "corroborated"
    raised = services.policy_update(actor=world.admin, minimum_tracker_grade="established", **TERMS)
    kept = services.policy_update(actor=world.second_admin, **TERMS)
    assert (raised.minimum_tracker_grade, kept.minimum_tracker_grade) == ("established",) * 2
    assert policy_terms(kept).minimum_tracker_grade == "established"
    event = AuditEvent.objects.filter(verb="policy.updated").first()
    assert event.data["minimum_tracker_grade"] == "established"


def test_it_refuses_two_versions_in_force_in_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ThresholdPolicy.objects.create(
            version=9,
            minimum_evidence_level="reported",
            minimum_impact_level="low",
            notice_period_business_days=1,
            in_force=True,
        )


@pytest.mark.parametrize(
    "persona", ["secas_coordinator", "dcc_coordinator", "reporter_contributor"]
)
def test_it_refuses_anyone_but_a_secas_administrator(world, persona):
    with pytest.raises(PermissionRefused):
        services.policy_update(actor=world.users[persona], **TERMS)
    assert services.policy_in_force().version == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("minimum_evidence_level", "certain"),
        ("minimum_impact_level", "catastrophic"),
        ("notice_period_business_days", -1),
        ("notice_period_business_days", 400),
        ("minimum_tracker_grade", "certain"),
    ],
)
def test_it_refuses_bad_terms(world, field, value):
    with pytest.raises(ValidationFailed) as refusal:
        services.policy_update(actor=world.admin, **{**TERMS, field: value})
    assert field in refusal.value.errors
    assert services.policy_in_force().version == 1
