"""The publication gate: gathers facts for kir.register.policy and records proposals/approvals."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kir.accounts.models import User
from kir.register.models import (
    Issue,
    ManufacturerNotice,
    Publication,
    PublicationStatus,
    Statement,
    ThresholdPolicy,
)
from kir.register.policy import (
    ManufacturerFacts,
    PublicationFacts,
    approval_messages,
    evaluate_publication,
)
from kir.register.selectors.visibility import named_manufacturer_organisations
from kir.register.services.language import unresolved_language
from kir.register.services.policy import policy_in_force, policy_terms


def pending_proposal(issue: Issue) -> Publication | None:
    return Publication.objects.filter(issue=issue, status=PublicationStatus.PROPOSED).first()


def _manufacturer_facts(issue: Issue) -> tuple[list[ManufacturerFacts], list[str]]:
    organisations, unreachable = named_manufacturer_organisations(issue)
    facts = []
    for organisation in organisations:
        notice = (
            ManufacturerNotice.objects.filter(issue=issue, organisation=organisation)
            .order_by("-sent_at", "-id")
            .first()
        )
        facts.append(
            ManufacturerFacts(
                name=organisation.name,
                notified=notice is not None,
                respond_by=notice.respond_by if notice else None,
                responded=bool(notice and notice.responded_at),
            )
        )
    return facts, unreachable


def publication_facts(issue: Issue, *, approver: User | None = None) -> PublicationFacts:
    manufacturers, unreachable = _manufacturer_facts(issue)
    proposal = pending_proposal(issue)
    return PublicationFacts(
        evidence_level=issue.evidence_level,
        impact_level=issue.impact_level,
        today=timezone.localdate(),
        manufacturers=manufacturers,
        unreachable_manufacturers=unreachable,
        unresolved_language=unresolved_language(issue),
        proposer_id=proposal.proposed_by_id if proposal else None,
        approver_id=approver.pk if approver else None,
    )


def publication_blockers(issue: Issue, *, approver: User | None = None) -> list[str]:
    """Everything that stands between the issue and publication under the policy in force; with
    no `approver`, everything except the second approval (for the issue page and proposals)."""
    terms = policy_terms(policy_in_force())
    facts = publication_facts(issue, approver=approver)
    return evaluate_publication(terms, facts, include_approval=approver is not None)


def second_approver_blockers(issue: Issue, approver: User) -> list[str]:
    terms = policy_terms(policy_in_force())
    proposal = pending_proposal(issue)
    facts = PublicationFacts(
        evidence_level=issue.evidence_level,
        impact_level=issue.impact_level,
        today=timezone.localdate(),
        proposer_id=proposal.proposed_by_id if proposal else None,
        approver_id=approver.pk,
    )
    return approval_messages(terms, facts)


def publication_snapshot(
    issue: Issue, policy: ThresholdPolicy, *, approved_version: int
) -> dict[str, Any]:
    """What the decision rested on, kept with the publication record; the approve page shows
    this same dictionary before the button (register/step_preview.py)."""
    statements = Statement.objects.filter(issue=issue).order_by("id")
    manufacturers, _ = _manufacturer_facts(issue)
    return {
        "policy_version": policy.version,
        "evidence_level": issue.evidence_level,
        "impact_level": issue.impact_level,
        "excess_alerts_per_day": issue.excess_alerts_per_day,
        "installations_affected": issue.installations_affected,
        "impact_rationale": issue.impact_rationale,
        "root_cause_status": issue.root_cause_status,
        "statement_ids": list(statements.values_list("id", flat=True)),
        "current_statement_ids": list(
            statements.filter(superseded_by__isnull=True).values_list("id", flat=True)
        ),
        "language_override_ids": list(issue.language_overrides.values_list("id", flat=True)),
        "evidence_ids": list(issue.evidence.order_by("id").values_list("id", flat=True)),
        "manufacturers": [
            {
                "organisation": m.name,
                "respond_by": m.respond_by.isoformat() if m.respond_by else None,
                "responded": m.responded,
            }
            for m in manufacturers
        ],
        # The version the approver read: the one the decision rested on.
        "issue_version": approved_version,
    }


def propose(issue: Issue, actor: User) -> dict[str, Any]:
    proposal = Publication.objects.create(
        issue=issue, proposed_by=actor, proposed_at=timezone.now()
    )
    return {"publication": proposal.pk}


def cancel_proposal(issue: Issue, actor: User) -> dict[str, Any]:
    proposal = pending_proposal(issue)
    if proposal is None:
        return {}
    proposal.status = PublicationStatus.CANCELLED
    proposal.save(update_fields=["status"])
    return {"publication": proposal.pk}


def approve(issue: Issue, actor: User) -> dict[str, Any]:
    """Turn the pending proposal into the publication record (policy + snapshot)."""
    proposal = Publication.objects.select_for_update().get(
        issue=issue, status=PublicationStatus.PROPOSED
    )
    policy = policy_in_force()
    proposal.status = PublicationStatus.APPROVED
    proposal.approved_by = actor
    proposal.approved_at = timezone.now()
    proposal.policy = policy
    # The publish step's own write, in this transaction, has just raised the version by one;
    # the snapshot names the version before it, which the approver read and previewed.
    proposal.snapshot = publication_snapshot(issue, policy, approved_version=issue.version - 1)
    proposal.save(update_fields=["status", "approved_by", "approved_at", "policy", "snapshot"])
    return {
        "publication": proposal.pk,
        "policy_version": policy.version,
        "proposed_by": proposal.proposed_by.get_username(),
        "snapshot": proposal.snapshot,
    }
