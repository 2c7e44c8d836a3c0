"""The threshold policy: one version in force; a change is a new version, never an edit."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from kir.accounts.models import User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.register.errors import ValidationFailed
from kir.register.models import EvidenceLevel, ImpactLevel, ThresholdPolicy, TrackerGrade
from kir.register.policy import PolicyTerms
from kir.register.services._common import require_secas

# A notice period longer than this is almost certainly a typo (a quarter of a year).
MAX_NOTICE_PERIOD_BUSINESS_DAYS = 65


def policy_in_force() -> ThresholdPolicy:
    """The version in force. The data migration creates version 1, so there always is one."""
    return ThresholdPolicy.objects.get(in_force=True)


def policy_terms(policy: ThresholdPolicy) -> PolicyTerms:
    return PolicyTerms(
        version=policy.version,
        minimum_evidence_level=policy.minimum_evidence_level,
        minimum_impact_level=policy.minimum_impact_level,
        notice_period_business_days=policy.notice_period_business_days,
        second_approver_required=policy.second_approver_required,
        minimum_tracker_grade=policy.minimum_tracker_grade,
    )


def _policy_errors(
    minimum_evidence_level: str,
    minimum_impact_level: str,
    notice_period_business_days: int,
    minimum_tracker_grade: str,
) -> dict[str, list[str]]:
    errors = {}
    if minimum_tracker_grade not in TrackerGrade.values:
        errors["minimum_tracker_grade"] = [f"Expected one of {', '.join(TrackerGrade.values)}."]
    if minimum_evidence_level not in EvidenceLevel.values:
        errors["minimum_evidence_level"] = [f"Expected one of {', '.join(EvidenceLevel.values)}."]
    if minimum_impact_level not in ImpactLevel.values:
        errors["minimum_impact_level"] = [f"Expected one of {', '.join(ImpactLevel.values)}."]
    if not 0 <= notice_period_business_days <= MAX_NOTICE_PERIOD_BUSINESS_DAYS:
        errors["notice_period_business_days"] = [
            f"Expected 0 to {MAX_NOTICE_PERIOD_BUSINESS_DAYS} business days."
        ]
    return errors


@transaction.atomic
def policy_update(
    *,
    actor: User,
    minimum_evidence_level: str,
    minimum_impact_level: str,
    notice_period_business_days: int,
    second_approver_required: bool,
    minimum_tracker_grade: str | None = None,
    note: str = "",
) -> ThresholdPolicy:
    """Put a new version in force and retire the old one in the same transaction.

    `minimum_tracker_grade=None` keeps the grade of the version in force, so a caller that only
    changes the register's threshold does not silently change what tracker editions publish.
    """
    require_secas(actor, Permission.EDIT_THRESHOLD_POLICY, "change the threshold policy")
    current = ThresholdPolicy.objects.select_for_update().filter(in_force=True).first()
    if minimum_tracker_grade is None:
        minimum_tracker_grade = (
            current.minimum_tracker_grade if current else TrackerGrade.CORROBORATED.value
        )
    errors = _policy_errors(
        minimum_evidence_level,
        minimum_impact_level,
        notice_period_business_days,
        minimum_tracker_grade,
    )
    if errors:
        raise ValidationFailed(errors)
    terms = {
        "minimum_evidence_level": minimum_evidence_level,
        "minimum_impact_level": minimum_impact_level,
        "notice_period_business_days": notice_period_business_days,
        "second_approver_required": second_approver_required,
        "minimum_tracker_grade": minimum_tracker_grade,
    }
    latest = ThresholdPolicy.objects.aggregate(latest=Max("version"))["latest"] or 0
    if current is not None:
        current.in_force = False
        current.save(update_fields=["in_force"])
    policy = ThresholdPolicy.objects.create(
        version=latest + 1, in_force=True, note=note.strip(), created_by=actor, **terms
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.POLICY_UPDATED,
        target=policy,
        data={
            "version": policy.version,
            "replaces": current.version if current else None,
            **terms,
        },
    )
    return policy
