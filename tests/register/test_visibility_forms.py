"""Every form of the visibility rules gives the one answer, on random registers.

selectors/visibility.py defines who sees what; for speed some rules also exist as plain SQL
(`named_manufacturer_issue_ids`), as a PostgreSQL column kept by triggers (register migration
0006) and as the procurement check's state filter (`public_states_for`). Hypothesis builds random
catalogues, DMCs, organisations, issues, involvements and evidence; each example checks every
form against `Spec`, the rules as the module docstring states them, written here as plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.accounts.models import PartyCategory
from kir.register.models import Evidence, InvolvementRole, Issue, IssueState
from kir.register.selectors import (
    evidence_visible_to,
    issues_visible_to,
    named_manufacturer_issue_ids,
    named_manufacturer_organisations,
    named_manufacturers,
    public_states_for,
)
from kir.register.sql import NAMED_MANUFACTURERS_COLUMN
from kir.register.workflow import PUBLIC_STATES
from tests.factories import (
    AffectedProductFactory,
    DeviceModelFactory,
    DeviceVersionFactory,
    DMCFactory,
    InvolvementFactory,
    IssueFactory,
    ManufacturerFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CATEGORIES = [
    PartyCategory.SECAS,
    PartyCategory.DCC,
    PartyCategory.MANUFACTURER,
    PartyCategory.LARGE_SUPPLIER,
    PartyCategory.SMALL_SUPPLIER,
    PartyCategory.ELECTRICITY_NETWORK_OPERATOR,
]


STATES = [
    IssueState.MANUFACTURER_NOTIFIED,
    *(state for state in IssueState.values if state != IssueState.MANUFACTURER_NOTIFIED),
]


@dataclass(frozen=True)
class IssuePlan:
    state: str
    reporter: int
    coordinator: int | None
    versions: frozenset[int]
    dmcs: frozenset[int]
    # (organisation, role) of each involvement.
    involvements: frozenset[tuple[int, str]]
    # (uploading organisation, installation level) of each evidence item.
    evidence: tuple[tuple[int, bool], ...]


@dataclass(frozen=True)
class RegisterPlan:
    categories: tuple[str, ...]
    # Per manufacturer, the organisation speaking for it, if any.
    makers: tuple[int | None, ...]
    # Per device version, its manufacturer.
    versions: tuple[int, ...]
    # Per DMC, its member versions.
    dmcs: tuple[frozenset[int], ...]
    issues: tuple[IssuePlan, ...]


@st.composite
def registers(draw: st.DrawFn) -> RegisterPlan:
    categories = tuple(draw(st.lists(st.sampled_from(CATEGORIES), min_size=2, max_size=5)))
    organisations = st.integers(0, len(categories) - 1)
    makers = tuple(draw(st.lists(st.none() | organisations, min_size=1, max_size=4)))
    versions = tuple(draw(st.lists(st.integers(0, len(makers) - 1), min_size=1, max_size=6)))
    version = st.integers(0, len(versions) - 1)
    dmcs = tuple(draw(st.lists(st.frozensets(version, min_size=1, max_size=3), max_size=3)))
    issue = st.builds(
        IssuePlan,
        # Manufacturer-notified first: the state with the most rules, and the one
        # Hypothesis falls back to when it simplifies an example.
        state=st.sampled_from(STATES),
        reporter=organisations,
        coordinator=st.none() | organisations,
        versions=st.frozensets(version, max_size=3),
        dmcs=st.frozensets(st.integers(0, len(dmcs) - 1), max_size=2)
        if dmcs
        else st.just(frozenset()),
        involvements=st.frozensets(
            st.tuples(organisations, st.sampled_from(InvolvementRole.values)), max_size=2
        ),
        evidence=st.lists(st.tuples(organisations, st.booleans()), max_size=2).map(tuple),
    )
    issues = tuple(draw(st.lists(issue, min_size=2, max_size=5)))
    return RegisterPlan(categories, makers, versions, dmcs, issues)


class Spec:
    """The rules of selectors/visibility.py's docstring, over the plan's indexes."""

    def __init__(self, plan: RegisterPlan):
        self.plan = plan

    def named_makers(self, issue: IssuePlan) -> set[int]:
        members = {v for dmc in issue.dmcs for v in self.plan.dmcs[dmc]}
        return {self.plan.versions[v] for v in issue.versions | members}

    def named_organisations(self, issue: IssuePlan) -> set[int]:
        speaking = {self.plan.makers[m] for m in self.named_makers(issue)} - {None}
        involved = {o for o, role in issue.involvements if role == InvolvementRole.MANUFACTURER}
        return {o for o in speaking if o is not None} | involved

    def oversight(self, organisation: int) -> bool:
        return self.plan.categories[organisation] in (PartyCategory.SECAS, PartyCategory.DCC)

    def sees(self, organisation: int, issue: IssuePlan) -> bool:
        if self.oversight(organisation) or issue.state in PUBLIC_STATES:
            return True
        if organisation in (issue.reporter, issue.coordinator):
            return True
        notified = issue.state == IssueState.MANUFACTURER_NOTIFIED
        return notified and organisation in self.named_organisations(issue)

    def sees_evidence(self, organisation: int, issue: IssuePlan, item: tuple[int, bool]) -> bool:
        uploader, installation_level = item
        if not self.sees(organisation, issue):
            return False
        return not installation_level or self.oversight(organisation) or uploader == organisation


@dataclass
class Built:
    organisations: list
    users: list
    makers: list
    issues: list[Issue]
    evidence: list[list[Evidence]]


def build(plan: RegisterPlan) -> Built:
    organisations = [OrganisationFactory(category=category) for category in plan.categories]
    users = [UserFactory(organisation=organisation) for organisation in organisations]
    makers = [
        ManufacturerFactory(organisation=None if o is None else organisations[o])
        for o in plan.makers
    ]
    versions = [
        DeviceVersionFactory(device_model=DeviceModelFactory(manufacturer=makers[m]))
        for m in plan.versions
    ]
    dmcs = [DMCFactory(members=[versions[v] for v in members]) for members in plan.dmcs]
    issues, evidence = [], []
    for item in plan.issues:
        issue = IssueFactory(
            state=item.state,
            reporter_organisation=organisations[item.reporter],
            created_by=users[item.reporter],
            coordinator_organisation=(
                None if item.coordinator is None else organisations[item.coordinator]
            ),
        )
        for v in sorted(item.versions):
            AffectedProductFactory(issue=issue, device_version=versions[v])
        for d in sorted(item.dmcs):
            AffectedProductFactory(issue=issue, dmc=dmcs[d], device_version=None)
        for o, role in sorted(item.involvements):
            InvolvementFactory(issue=issue, organisation=organisations[o], role=role)
        evidence.append(
            [
                Evidence.objects.create(
                    issue=issue,
                    organisation=organisations[o],
                    uploaded_by=users[o],
                    file="evidence/plan.csv",
                    description="plan",
                    installation_level=installation_level,
                )
                for o, installation_level in item.evidence
            ]
        )
        issues.append(issue)
    return Built(organisations, users, makers, issues, evidence)


def trigger_column(issue: Issue) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {NAMED_MANUFACTURERS_COLUMN} FROM register_issue WHERE id = %s", [issue.pk]
        )
        return list(cursor.fetchone()[0])


def check_named_manufacturers(spec: Spec, world: Built) -> None:
    for issue_plan, issue in zip(spec.plan.issues, world.issues, strict=True):
        makers = {world.makers[m].pk for m in spec.named_makers(issue_plan)}
        assert {m.pk for m in named_manufacturers(issue)} == makers
        if connection.vendor == "postgresql":
            assert trigger_column(issue) == sorted(makers)
        organisations, _ = named_manufacturer_organisations(issue)
        expected = {world.organisations[o].pk for o in spec.named_organisations(issue_plan)}
        assert {o.pk for o in organisations} == expected


def check_what_one_organisation_sees(spec: Spec, world: Built, index: int) -> None:
    organisation, user = world.organisations[index], world.users[index]
    issues = list(zip(spec.plan.issues, world.issues, world.evidence, strict=True))
    notified = {
        issue.pk
        for issue_plan, issue, _ in issues
        if issue_plan.state == IssueState.MANUFACTURER_NOTIFIED
        and index in spec.named_organisations(issue_plan)
    }
    assert set(named_manufacturer_issue_ids(organisation.pk)) == notified

    visible = {issue.pk for issue_plan, issue, _ in issues if spec.sees(index, issue_plan)}
    assert set(issues_visible_to(user=user).values_list("pk", flat=True)) == visible

    on_register = Issue.objects.filter(state__in=public_states_for(user))
    assert set(on_register.values_list("pk", flat=True)) == {
        issue.pk for issue in world.issues if issue.pk in visible and issue.state in PUBLIC_STATES
    }

    for issue_plan, issue, items in issues:
        expected = {
            item.pk
            for item, item_plan in zip(items, issue_plan.evidence, strict=True)
            if spec.sees_evidence(index, issue_plan, item_plan)
        }
        seen = evidence_visible_to(user=user, issue=issue).values_list("pk", flat=True)
        assert set(seen) == expected


def check(plan: RegisterPlan) -> None:
    spec, world = Spec(plan), build(plan)
    check_named_manufacturers(spec, world)
    for index in range(len(world.organisations)):
        check_what_one_organisation_sees(spec, world, index)
    outsider = AnonymousUser()
    assert not issues_visible_to(user=outsider).exists()
    assert public_states_for(outsider) == frozenset()


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=registers())
def test_every_form_of_the_rules_gives_the_same_answer(db, plan):
    # Each example builds its register inside a savepoint and leaves nothing behind.
    with transaction.atomic():
        check(plan)
        transaction.set_rollback(True)


def test_the_spec_itself_can_tell_a_hidden_issue(db):
    """The comparison above is not vacuous: a draft is hidden from a party that did not report it,
    and a notified issue shows to its named manufacturer and to nobody else outside it."""
    plan = RegisterPlan(
        categories=(PartyCategory.SMALL_SUPPLIER, PartyCategory.MANUFACTURER),
        makers=(1,),
        versions=(0,),
        dmcs=(),
        issues=(
            IssuePlan(IssueState.DRAFT, 0, None, frozenset({0}), frozenset(), frozenset(), ()),
            IssuePlan(
                IssueState.MANUFACTURER_NOTIFIED,
                0,
                None,
                frozenset({0}),
                frozenset(),
                frozenset(),
                ((0, True),),
            ),
        ),
    )
    spec = Spec(plan)
    draft, notified = plan.issues
    assert (spec.sees(1, draft), spec.sees(1, notified)) == (False, True)
    assert spec.sees_evidence(1, notified, notified.evidence[0]) is False
    with transaction.atomic():
        check(plan)
        transaction.set_rollback(True)
