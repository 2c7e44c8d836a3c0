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


def _threshold_messages(policy: PolicyTerms, facts: PublicationFacts) -> list[str]:
    messages = []
    if EvidenceLevel.rank(facts.evidence_level) < EvidenceLevel.rank(policy.minimum_evidence_level):
        messages.append(
            f"Evidence level is {EvidenceLevel(facts.evidence_level).label.lower()}; policy "
            f"v{policy.version} requires at least "
            f"{EvidenceLevel(policy.minimum_evidence_level).label.lower()}."
        )
    if ImpactLevel.rank(facts.impact_level) < ImpactLevel.rank(policy.minimum_impact_level):
        messages.append(
            f"Impact level is {ImpactLevel(facts.impact_level).label.lower()}; policy "
            f"v{policy.version} requires at least "
            f"{ImpactLevel(policy.minimum_impact_level).label.lower()}."
        )
    return messages


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


def evaluate_publication(
    policy: PolicyTerms, facts: PublicationFacts, *, include_approval: bool = True
) -> list[str]:
    """Every unmet condition for publishing under `policy`; an empty list means it may go.

    `include_approval=False` checks everything except the second approver (used when proposing).
    """
    messages = _threshold_messages(policy, facts)
    messages += _manufacturer_messages(facts)
    messages += _language_messages(facts)
    if include_approval:
        messages += approval_messages(policy, facts)
    return messages
