"""The publication threshold (each unmet condition on its own) and business-day arithmetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kir.register.policy import (
    LanguageFinding,
    ManufacturerFacts,
    PolicyTerms,
    PublicationFacts,
    add_business_days,
    evaluate_publication,
    is_business_day,
    notice_period_passed,
)

FRIDAY = date(2026, 3, 6)
SATURDAY = date(2026, 3, 7)
SUNDAY = date(2026, 3, 8)
MONDAY = date(2026, 3, 9)

POLICY = PolicyTerms(
    version=3,
    minimum_evidence_level="corroborated",
    minimum_impact_level="moderate",
    notice_period_business_days=10,
    second_approver_required=True,
)
READY = PublicationFacts(
    evidence_level="corroborated",
    impact_level="moderate",
    today=date(2026, 4, 1),
    manufacturers=[ManufacturerFacts("Acme", notified=True, respond_by=date(2026, 3, 20))],
    proposer_id=1,
    approver_id=2,
)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRIDAY, 0, FRIDAY),
        (FRIDAY, 1, MONDAY),
        (SATURDAY, 1, MONDAY),
        (SUNDAY, 1, MONDAY),
        (MONDAY, 4, date(2026, 3, 13)),
        (MONDAY, 5, date(2026, 3, 16)),
        (FRIDAY, 5, date(2026, 3, 13)),
        (FRIDAY, 10, date(2026, 3, 20)),
        (date(2026, 12, 31), 1, date(2027, 1, 1)),
    ],
)
def test_it_skips_weekends_when_adding_business_days(start, days, expected):
    assert add_business_days(start, days) == expected


def test_it_skips_holidays_it_is_given():
    good_friday, easter_monday = date(2026, 4, 3), date(2026, 4, 6)
    thursday = date(2026, 4, 2)
    assert add_business_days(thursday, 1) == good_friday
    assert add_business_days(thursday, 1, {good_friday, easter_monday}) == date(2026, 4, 7)


def test_it_refuses_negative_periods():
    with pytest.raises(ValueError):
        add_business_days(MONDAY, -1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 60))
def test_it_always_lands_on_a_weekday_with_exactly_n_weekdays_between(start, days):
    due = add_business_days(start, days)
    assert is_business_day(due)
    span = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(is_business_day(d) for d in span) == days


def test_it_counts_the_respond_by_day_inside_the_period():
    assert not notice_period_passed(FRIDAY, FRIDAY)
    assert notice_period_passed(FRIDAY, SATURDAY)


def test_it_passes_an_issue_that_meets_every_condition():
    assert evaluate_publication(POLICY, READY) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"evidence_level": "reported"}, "Evidence level is reported; policy v3 requires"),
        ({"impact_level": "low"}, "Impact level is low; policy v3 requires at least moderate"),
        (
            {"manufacturers": [ManufacturerFacts("Acme", notified=False)]},
            "Acme has not been sent a notice.",
        ),
        (
            {
                "manufacturers": [
                    ManufacturerFacts("Acme", notified=True, respond_by=date(2026, 4, 1))
                ]
            },
            "Acme has not responded and its notice period runs until 1 April 2026.",
        ),
        ({"unreachable_manufacturers": ["Zed"]}, "Manufacturer Zed has no organisation"),
        (
            {"unresolved_language": [LanguageFinding("Title", "defective", "Defective")]},
            'Title contains "Defective" (prohibited phrase "defective")',
        ),
        ({"approver_id": None}, "A second administrator must approve the publication."),
        ({"approver_id": 1}, "cannot also approve it"),
    ],
)
def test_it_reports_each_unmet_condition_on_its_own(change, expected):
    messages = evaluate_publication(POLICY, replace(READY, **change))
    assert len(messages) == 1
    assert expected in messages[0]


def test_it_accepts_a_manufacturer_that_responded_inside_its_period():
    maker = ManufacturerFacts("Acme", notified=True, respond_by=date(2026, 4, 1), responded=True)
    assert evaluate_publication(POLICY, replace(READY, manufacturers=[maker])) == []


def test_it_lists_every_unmet_condition_together():
    facts = replace(
        READY,
        evidence_level="reported",
        impact_level="low",
        manufacturers=[ManufacturerFacts("Acme", notified=False)],
        approver_id=1,
    )
    assert len(evaluate_publication(POLICY, facts)) == 4


def test_it_leaves_out_the_approver_when_asked_or_not_required():
    assert evaluate_publication(POLICY, replace(READY, approver_id=1), include_approval=False) == []
    relaxed = replace(POLICY, second_approver_required=False)
    assert evaluate_publication(relaxed, replace(READY, approver_id=1)) == []


def test_it_compares_levels_by_rank_not_by_name():
    strict = replace(POLICY, minimum_evidence_level="established", minimum_impact_level="severe")
    facts = replace(READY, evidence_level="established", impact_level="severe")
    assert evaluate_publication(strict, facts) == []
    assert len(evaluate_publication(strict, replace(facts, impact_level="high"))) == 1
