"""The publication threshold and business-day arithmetic. Pure: facts in, messages out.

The services gather the facts from the database (kir.register.services.publication); this module
decides. `evaluate_publication` returns EVERY unmet condition as a sentence, so an administrator
sees all that stands between the issue and the register at once.

Business days exclude Saturdays and Sundays. UK bank holidays differ between England and Wales,
Scotland and Northern Ireland and are announced year by year, so they are not built in: callers
may pass a set of holiday dates, and the notice period otherwise counts weekdays only (a notice
sent before a bank holiday therefore gets one calendar day less than it would with holidays).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from kir.formatting import long_date
from kir.register.models import EvidenceLevel, ImpactLevel


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date `days` business days after `start` (a notice sent on Friday with one business
    day to respond is due on Monday). Zero days gives `start` itself."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    return current


def notice_period_passed(respond_by: date, today: date) -> bool:
    """`respond_by` is the last day to respond, so the period has passed only after it."""
    return today > respond_by


@dataclass(frozen=True)
class PolicyTerms:
    version: int
    minimum_evidence_level: str
    minimum_impact_level: str
    notice_period_business_days: int
    second_approver_required: bool
    minimum_tracker_grade: str = "corroborated"


@dataclass(frozen=True)
class ManufacturerFacts:
    """One organisation speaking for a named manufacturer, and its latest notice (if any)."""

    name: str
    notified: bool
    respond_by: date | None = None
    responded: bool = False


@dataclass(frozen=True)
class LanguageFinding:
    field_label: str
    phrase: str
    matched: str


@dataclass(frozen=True)
class PublicationFacts:
    evidence_level: str
    impact_level: str
    today: date
    manufacturers: Sequence[ManufacturerFacts] = ()
    # Catalogue manufacturers with no organisation in the register: nobody can be notified.
    unreachable_manufacturers: Sequence[str] = ()
    unresolved_language: Sequence[LanguageFinding] = field(default=())
    proposer_id: int | None = None
    approver_id: int | None = None


def _evidence_messages(policy: PolicyTerms, facts: PublicationFacts) -> list[str]:
    minimum = policy.minimum_evidence_level
    if EvidenceLevel.rank(facts.evidence_level) >= EvidenceLevel.rank(minimum):
        return []
    return [
        f"Evidence level is {EvidenceLevel(facts.evidence_level).label.lower()}; policy "
        f"v{policy.version} requires at least "
        f"{EvidenceLevel(policy.minimum_evidence_level).label.lower()}."
    ]


def _impact_messages(policy: PolicyTerms, facts: PublicationFacts) -> list[str]:
    if ImpactLevel.rank(facts.impact_level) >= ImpactLevel.rank(policy.minimum_impact_level):
        return []
    return [
        f"Impact level is {ImpactLevel(facts.impact_level).label.lower()}; policy "
        f"v{policy.version} requires at least "
        f"{ImpactLevel(policy.minimum_impact_level).label.lower()}."
    ]


def _manufacturer_messages(facts: PublicationFacts) -> list[str]:
    messages = [
        f"Manufacturer {name} has no organisation in the register, so it cannot be notified."
        for name in facts.unreachable_manufacturers
    ]
    for maker in facts.manufacturers:
        if not maker.notified or maker.respond_by is None:
            messages.append(f"{maker.name} has not been sent a notice.")
        elif not maker.responded and not notice_period_passed(maker.respond_by, facts.today):
            messages.append(
                f"{maker.name} has not responded and its notice period runs until "
                f"{long_date(maker.respond_by)}."
            )
    return messages


def _language_messages(facts: PublicationFacts) -> list[str]:
    return [
        f'{finding.field_label} contains "{finding.matched}" (prohibited phrase '
        f'"{finding.phrase}"): reword it or record an administrator\'s override.'
        for finding in facts.unresolved_language
    ]


def approval_messages(policy: PolicyTerms, facts: PublicationFacts) -> list[str]:
    if not policy.second_approver_required:
        return []
    if facts.approver_id is None:
        return ["A second administrator must approve the publication."]
    if facts.approver_id == facts.proposer_id:
        return [
            "The administrator who proposed publication cannot also approve it; "
            "a different administrator must approve."
        ]
    return []


@dataclass(frozen=True)
class RuleCheck:
    """One rule of the policy, where the issue stands against it, and what it finds unmet (the
    sentences `evaluate_publication` reports for it, so the checklist and the gate agree)."""

    rule: str
    figure: str
    unmet: tuple[str, ...]

    @property
    def met(self) -> bool:
        return not self.unmet


def _manufacturer_figure(facts: PublicationFacts) -> str:
    parts = [f"{name}: no organisation to notify" for name in facts.unreachable_manufacturers]
    for maker in facts.manufacturers:
        if not maker.notified or maker.respond_by is None:
            parts.append(f"{maker.name}: not notified")
        elif maker.responded:
            parts.append(f"{maker.name}: responded")
        elif notice_period_passed(maker.respond_by, facts.today):
            parts.append(f"{maker.name}: notice period ended {maker.respond_by.isoformat()}")
        else:
            parts.append(f"{maker.name}: notice period runs until {maker.respond_by.isoformat()}")
    return "; ".join(parts) or "No manufacturer named"


def _approval_figure(facts: PublicationFacts) -> str:
    if facts.proposer_id is None:
        return "Not proposed yet"
    if facts.approver_id is None:
        return "Proposed; waiting for a second administrator"
    if facts.approver_id == facts.proposer_id:
        return "You proposed it"
    return "Proposed by another administrator; you would approve it"


def threshold_checklist(
    policy: PolicyTerms, facts: PublicationFacts, *, include_approval: bool = True
) -> list[RuleCheck]:
    """Each rule of `policy` with met / not met and the issue's figure for it."""
    flagged = len(facts.unresolved_language)
    checks = [
        RuleCheck(
            f"Evidence level at least {EvidenceLevel(policy.minimum_evidence_level).label.lower()}",
            EvidenceLevel(facts.evidence_level).label,
            tuple(_evidence_messages(policy, facts)),
        ),
        RuleCheck(
            f"Impact level at least {ImpactLevel(policy.minimum_impact_level).label.lower()}",
            ImpactLevel(facts.impact_level).label,
            tuple(_impact_messages(policy, facts)),
        ),
        RuleCheck(
            "Every named manufacturer notified, and it has responded or its notice period "
            f"({policy.notice_period_business_days} business days) has passed",
            _manufacturer_figure(facts),
            tuple(_manufacturer_messages(facts)),
        ),
        RuleCheck(
            "Texts for publication make no assertion of responsibility or non-compliance "
            "(or an administrator's override is recorded)",
            f"{flagged} flagged wording{'s' if flagged != 1 else ''} unresolved",
            tuple(_language_messages(facts)),
        ),
    ]
    if include_approval and policy.second_approver_required:
        checks.append(
            RuleCheck(
                "A second administrator, not the one who proposed it, approves",
                _approval_figure(facts),
                tuple(approval_messages(policy, facts)),
            )
        )
    return checks


def evaluate_publication(
    policy: PolicyTerms, facts: PublicationFacts, *, include_approval: bool = True
) -> list[str]:
    """Every unmet condition for publishing under `policy`; an empty list means it may go.

    `include_approval=False` checks everything except the second approver (used when proposing).
    """
    checks = threshold_checklist(policy, facts, include_approval=include_approval)
    return [message for check in checks for message in check.unmet]
