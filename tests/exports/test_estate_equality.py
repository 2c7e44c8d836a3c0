"""The estate check's set-based read (register/selectors/estate_touching.py) gives exactly what the
check gave when it grouped the procurement pipeline's product rows per line in Python: the same
issues in the same order, the same lines and products per issue, the same totals.

The reference below is that earlier check, kept here as the oracle. Estates are generated with
DMCs sharing members, several firmware versions per model, a firmware with two hardware versions
(one label, two device versions), lines within their own DMC, within a DMC not holding them and
within an unknown one, unknown models and firmware, and the same line twice."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kir.accounts.models import PartyCategory, Role
from kir.exports.estate import EstateCheck, EstateIssue, estate_check
from kir.exports.estate_input import EstateLine
from kir.register.models import IssueState, ProductStatus, RootCauseStatus
from kir.register.selectors.procurement_touching import procurement_touching
from tests.factories import (
    AffectedProductFactory,
    DeviceModelFactory,
    DeviceVersionFactory,
    DMCFactory,
    IssueFactory,
    ManufacturerFactory,
    OrganisationFactory,
    UserFactory,
)

STATES = [
    IssueState.PUBLISHED,
    IssueState.PUBLISHED,
    IssueState.RESOLVED,
    IssueState.CLOSED,
    IssueState.WITHDRAWN,
    IssueState.DRAFT,
    IssueState.UNDER_ASSESSMENT,
]
UNKNOWN_DMC = "DMC-FFFFFFFFFFFF"


def reference_check(*, user: Any, lines: list[EstateLine]) -> EstateCheck:
    """The estate check as it was before the set-based read: every product row of the
    procurement pipeline, grouped per line and issue in Python."""
    found = procurement_touching(user=user, items=[line.item for line in lines])
    touched: dict[int, dict[int, None]] = defaultdict(dict)
    through: dict[int, set[int]] = defaultdict(set)
    for index, line in enumerate(lines):
        target = found.targets[line.item]
        dmcs = target.dmcs
        if line.dmc:
            dmcs = frozenset(pk for pk in dmcs if target.dmc_identifiers[pk] == line.dmc)
        named = [found.by_version.get(pk, []) for pk in target.versions]
        named += [found.by_dmc.get(pk, []) for pk in dmcs]
        for rows in named:
            for product_id, issue_id in rows:
                touched[issue_id][index] = None
                through[issue_id].add(product_id)
    issues = []
    for issue_id, indexes in touched.items():
        values = found.issues[issue_id]
        if values.state == IssueState.WITHDRAWN:
            continue
        products = {
            found.products[pk].label: found.products[pk] for pk in sorted(through[issue_id])
        }
        disputed = values.root_cause_status == RootCauseStatus.DISPUTED
        issues.append(
            EstateIssue(
                issue_id,
                values.human_id,
                values.title,
                values.state,
                disputed,
                values.published_at,
                [lines[index] for index in indexes],
                products,
            )
        )
    issues.sort(key=lambda issue: (-issue.installations, found.rank[issue.issue_id]))
    missing = [line for line in lines if not found.targets[line.item].in_catalogue]
    total = sum(line.installations or 0 for line in lines)
    return EstateCheck(issues, missing, len(lines), total)


def as_values(check: EstateCheck, lines: list[EstateLine]) -> dict[str, Any]:
    """The check as plain values, lines by their position (duplicates are equal objects)."""
    position = {id(line): index for index, line in enumerate(lines)}
    issues = [
        (
            issue.issue_id,
            issue.human_id,
            issue.title,
            issue.state,
            issue.disputed,
            issue.published_at,
            [position[id(line)] for line in issue.lines],
            list(issue.products.items()),
            issue.installations,
            issue.lines_without_count,
        )
        for issue in check.issues
    ]
    missing = [position[id(line)] for line in check.not_in_catalogue]
    return {"issues": issues, "missing": missing, "totals": (check.lines, check.installations)}


def generate_register(rng: random.Random) -> tuple[list[Any], list[Any]]:
    """Versions of 2 manufacturers x 3 models x 3 firmware, one firmware also in a second
    hardware version; 6 DMCs of 2-4 members drawn from them (so they share members); 30
    issues in every state naming 1-4 versions or DMCs."""
    versions = []
    for _ in range(2):
        maker = ManufacturerFactory()
        for _ in range(3):
            model = DeviceModelFactory(manufacturer=maker)
            versions += [DeviceVersionFactory(device_model=model) for _ in range(3)]
    twin = versions[0]
    versions.append(
        DeviceVersionFactory(
            device_model=twin.device_model,
            hardware_version="0002",
            firmware_version=twin.firmware_version,
        )
    )
    dmcs = [DMCFactory(members=rng.sample(versions, rng.randint(2, 4))) for _ in range(6)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(30):
        state = rng.choice(STATES)
        public = state not in (IssueState.DRAFT, IssueState.UNDER_ASSESSMENT)
        # Few distinct days: ties in publication order are broken by issue id.
        published = start + timedelta(days=rng.randint(0, 3)) if public else None
        root_cause = rng.choice([RootCauseStatus.UNKNOWN, RootCauseStatus.DISPUTED])
        issue = IssueFactory(state=state, published_at=published, root_cause_status=root_cause)
        for target in rng.sample(versions + dmcs, rng.randint(1, 4)):
            status = rng.choice(list(ProductStatus))
            if target in dmcs:
                AffectedProductFactory(issue=issue, dmc=target, status=status)
            else:
                AffectedProductFactory(issue=issue, device_version=target, status=status)
    return versions, dmcs


def generate_estate(rng: random.Random, versions: list[Any], dmcs: list[Any]) -> list[EstateLine]:
    lines = []
    for version in rng.sample(versions, 12):
        own = [dmc.identifier for dmc in dmcs if version in dmc.members.all()]
        others = [dmc.identifier for dmc in dmcs if dmc.identifier not in own]
        dmc = rng.choice(["", "", *own[:1], *others[:1], UNKNOWN_DMC])
        count = rng.choice([None, rng.randint(1, 500)])
        model = version.device_model
        lines.append(
            EstateLine(
                model.manufacturer.identifier, model.model_id, version.firmware_version, dmc, count
            )
        )
    model = versions[0].device_model
    lines.append(EstateLine(model.manufacturer.identifier, "FFFFFFFF", "01020304", "", 9))
    lines.append(EstateLine(model.manufacturer.identifier, model.model_id, "FFFFFFFF", "", None))
    twin = versions[0]
    lines.append(EstateLine(model.manufacturer.identifier, model.model_id, twin.firmware_version))
    for line in rng.sample(lines, 3):  # the same line again, a separate object
        lines.append(EstateLine(*line.key, line.installations))
    rng.shuffle(lines)
    return lines


@pytest.fixture
def supplier(db):
    organisation = OrganisationFactory(category=PartyCategory.LARGE_SUPPLIER)
    return UserFactory(organisation=organisation, role=Role.VIEWER)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_it_gives_the_reference_check_results_exactly(supplier, seed):
    rng = random.Random(seed)
    versions, dmcs = generate_register(rng)
    lines = generate_estate(rng, versions, dmcs)
    new = estate_check(user=supplier, lines=lines)
    assert as_values(new, lines) == as_values(reference_check(user=supplier, lines=lines), lines)
    # Not vacuous: issues touched through several lines, lines unknown to the catalogue.
    assert any(len(issue.lines) > 1 for issue in new.issues)
    assert len(new.not_in_catalogue) >= 2


def test_it_gives_nothing_to_a_user_without_an_organisation(db):
    rng = random.Random(7)
    versions, dmcs = generate_register(rng)
    lines = generate_estate(rng, versions, dmcs)
    outsider = UserFactory(organisation=None)
    new = estate_check(user=outsider, lines=lines)
    assert new.issues == []
    assert as_values(new, lines) == as_values(reference_check(user=outsider, lines=lines), lines)


def test_an_empty_estate_touches_nothing(supplier):
    check = estate_check(user=supplier, lines=[])
    assert (check.issues, check.not_in_catalogue, check.lines, check.installations) == (
        [],
        [],
        0,
        0,
    )
