"""Hypothesis-generated issues (unicode texts, many products, DMCs sharing members, disputed,
withdrawn, corrected more than once) make CSAF documents BSI's validator accepts, and the
document keeps what the register says about each product."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.exports.csaf import STATUS_PRECEDENCE, csaf_document, csaf_filename
from kir.exports.csaf_input import (
    Affected,
    Combination,
    CsafIssue,
    Figure,
    Publisher,
    Revision,
    StatementText,
    VendorInvolvement,
    Version,
)
from kir.register.models import InvolvementStatus, ProductStatus, StatementKind

PUBLISHER = Publisher(
    name="SECAS",
    namespace="https://register.example",
    contact_details="register@register.example",
    base_url="https://register.example",
)
# Any unicode a person may type (no lone surrogates, which no UTF-8 text can hold).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)
HEX4 = st.text("0123456789ABCDEF", min_size=4, max_size=4)
HEX8 = st.text("0123456789ABCDEF", min_size=8, max_size=8)
START = datetime(2024, 1, 1, tzinfo=UTC)

versions = st.builds(
    Version,
    manufacturer_name=TEXT,
    manufacturer_id=HEX4,
    model_name=TEXT,
    model_id=HEX8,
    device_type=st.sampled_from(["ESME", "GSME", "CHF", "GPF", "PPMID"]),
    hardware_version=st.text("0123456789ABCDEF", min_size=1, max_size=8),
    firmware_version=HEX8,
)


@st.composite
def catalogues(draw, min_versions=1, max_versions=12) -> tuple[list[Version], list[Combination]]:
    """Versions with distinct product ids, and DMCs drawn from them (so they share members)."""
    pool = {
        v.product_id: v
        for v in draw(st.lists(versions, min_size=min_versions, max_size=max_versions))
    }
    members = list(pool.values())
    combinations = [
        Combination(
            identifier=f"DMC-{number:012X}",
            name=draw(st.sampled_from(["", "Combo"])),
            members=tuple(draw(st.lists(st.sampled_from(members), min_size=1, max_size=5))),
        )
        for number in range(draw(st.integers(0, 6)))
    ]
    return members, combinations


@st.composite
def affected_products(draw, members, combinations, min_size=0, max_size=40) -> list[Affected]:
    target = st.one_of(
        st.sampled_from(members).map(lambda v: {"version": v}),
        *(
            [st.sampled_from(combinations).map(lambda c: {"combination": c})]
            if combinations
            else []
        ),
    )
    return draw(
        st.lists(
            st.builds(
                lambda where, status, fixed: Affected(
                    status=status, first_fixed_firmware=fixed, **where
                ),
                target,
                st.sampled_from(ProductStatus.values),
                st.sampled_from(["", "01050000", "02000000"]),
            ),
            min_size=min_size,
            max_size=max_size,
        )
    )


@st.composite
def revision_dates(draw) -> list[datetime]:
    steps = draw(st.lists(st.integers(0, 10**7), max_size=8))
    dates, moment = [START], START
    for seconds in steps:
        moment += timedelta(seconds=seconds)
        dates.append(moment)
    return dates


@st.composite
def issues(draw, min_products=0, max_products=40) -> CsafIssue:
    least = min_products // 2 or 1
    members, combinations = draw(catalogues(least, max(12, least)))
    state = draw(st.sampled_from(["published", "resolved", "closed", "withdrawn"]))
    disputed = draw(st.booleans())
    dates = draw(revision_dates())
    # Corrected twice or more, sometimes.
    later = st.one_of(st.sampled_from(["Correction by SECAS", "Withdrawn"]), TEXT)
    summaries = ["Initial publication"] + [draw(later) for _ in dates[1:]]
    statements = draw(
        st.lists(
            st.builds(
                StatementText,
                kind=st.sampled_from(StatementKind.values),
                kind_label=TEXT,
                organisation=TEXT,
                created_at=st.sampled_from(dates),
                text=TEXT,
                challenged=st.booleans(),
            ),
            max_size=6,
        )
    )
    return CsafIssue(
        human_id=f"KIR-{draw(st.integers(2020, 2030))}-{draw(st.integers(1, 99999)):04d}",
        title=draw(TEXT),
        summary=draw(TEXT),
        description=draw(st.one_of(st.just(""), TEXT)),
        category=draw(TEXT),
        regions=tuple(draw(st.lists(st.sampled_from(["North", "Central", "South"]), unique=True))),
        state=state,
        evidence_level=draw(st.sampled_from(["Reported", "Corroborated", "Established"])),
        root_cause_status="Disputed" if disputed else "Suspected",
        impact_level=draw(st.sampled_from(["Low", "High"])),
        impact_figures=(Figure("Installations affected", "12,000"),),
        impact_rationale=draw(st.one_of(st.just(""), TEXT)),
        affected=tuple(draw(affected_products(members, combinations, min_products, max_products))),
        statements=tuple(statements),
        revisions=tuple(map(Revision, dates, summaries)),
        vendors=tuple(
            draw(
                st.lists(
                    st.builds(
                        VendorInvolvement,
                        organisation=TEXT,
                        status=st.sampled_from(InvolvementStatus.values),
                    ),
                    max_size=3,
                )
            )
        ),
        disputed=disputed,
        withdrawn=state == "withdrawn",
        withdrawal_reason=draw(st.one_of(st.just(""), TEXT)) if state == "withdrawn" else "",
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(issue=issues())
def test_every_generated_issue_makes_a_valid_document(issue, csaf_validator):
    document = csaf_document(issue, PUBLISHER)
    assert csaf_validator.failures(document) == []


@settings(max_examples=60, deadline=None)
@given(issue=issues())
def test_each_product_gets_its_most_cautious_status_once(issue):
    statuses = csaf_document(issue, PUBLISHER)["vulnerabilities"][0].get("product_status", {})
    listed = [pid for ids in statuses.values() for pid in ids]
    assert len(listed) == len(set(listed))
    for affected in issue.affected:
        if affected.version is None:
            continue
        (status,) = [s for s, ids in statuses.items() if affected.version.product_id in ids]
        assert STATUS_PRECEDENCE.index(status) <= STATUS_PRECEDENCE.index(affected.status)


@settings(max_examples=60, deadline=None)
@given(issue=issues())
def test_the_version_counts_the_revisions_and_disputed_is_never_withdrawn(issue):
    document = csaf_document(issue, PUBLISHER)["document"]
    tracking = document["tracking"]
    assert tracking["version"] == str(len(issue.revisions))
    assert [r["number"] for r in tracking["revision_history"]] == [
        str(n) for n in range(1, len(issue.revisions) + 1)
    ]
    assert tracking["status"] == ("interim" if issue.state == "published" else "final")
    titles = [note["title"] for note in document["notes"]]
    assert ("Disputed" in titles) == issue.disputed
    assert ("Withdrawn" in titles) == issue.withdrawn


@pytest.mark.slow
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)
@given(issue=issues(min_products=200, max_products=250))
def test_documents_with_hundreds_of_products_are_valid(issue, csaf_validator):
    assert csaf_validator.failures(csaf_document(issue, PUBLISHER)) == []


def test_the_validator_refuses_a_product_both_fixed_and_affected(csaf_validator):
    """The validator is not a formality: a contradiction (mandatory test 6.1.6) fails."""
    version = Version("Acme", "1A2B", "Meter", "00012345", "ESME", "0001", "01000000")
    issue = CsafIssue(
        human_id="KIR-2026-0001",
        title="t",
        summary="s",
        description="",
        category="c",
        regions=(),
        state="published",
        evidence_level="Reported",
        root_cause_status="Unknown",
        impact_level="Low",
        impact_figures=(),
        impact_rationale="",
        affected=(Affected(status="known_affected", version=version),),
        statements=(),
        revisions=(Revision(START, "Initial publication"),),
    )
    document = csaf_document(issue, PUBLISHER)
    assert csaf_validator.failures(document) == []
    document["vulnerabilities"][0]["product_status"]["fixed"] = [version.product_id]
    failed = {failure["test"] for failure in csaf_validator.failures(document)}
    assert failed == {"mandatoryTest_6_1_6"}


def test_filenames_follow_section_5_1():
    assert csaf_filename("KIR-2026-0001") == "kir-2026-0001.json"
    assert csaf_filename("Example Company - 2019-YH3234") == "example_company_-_2019-yh3234.json"
