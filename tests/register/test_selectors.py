from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.utils import timezone

from kir.accounts.models import PartyCategory
from kir.register.models import (
    Category,
    EvidenceLevel,
    ImpactLevel,
    InvolvementRole,
    Issue,
    IssueState,
    RootCauseStatus,
    Statement,
)
from kir.register.selectors import (
    MAX_PAGE_SIZE,
    IssueFilters,
    evidence_get_visible,
    evidence_visible_to,
    issue_get_visible,
    issue_search,
    issue_search_queryset,
    issues_visible_to,
    named_manufacturer_organisations,
    public_states_for,
    statements_visible_to,
)
from kir.register.selectors.filters import FEW_VERSIONS
from kir.register.workflow import PUBLIC_STATES
from tests.factories import (
    AffectedProductFactory,
    DeviceModelFactory,
    DeviceVersionFactory,
    EvidenceFactory,
    InvolvementFactory,
    IssueFactory,
    ManufacturerFactory,
    OrganisationFactory,
    StatementFactory,
    UserFactory,
)
from tests.register.cast import AUDIENCE, Cast, build_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


def visible_ids(user) -> set[str]:
    return set(issues_visible_to(user=user).values_list("human_id", flat=True))


def test_it_applies_each_states_audience(cast):
    issues = {state: cast.issue(state) for state in AUDIENCE}
    for key in cast.users:
        expected = {issues[state].human_id for state, who in AUDIENCE.items() if key in who}
        assert visible_ids(cast.users[key]) == expected, key


def test_the_public_register_is_exactly_the_visible_issues_in_public_states(cast):
    """The procurement check filters by `public_states_for` alone."""
    issues = {state: cast.issue(state) for state in AUDIENCE}
    assert {i.state for i in issues.values()} >= set(PUBLIC_STATES)
    for user in [*cast.users.values(), AnonymousUser()]:
        expected = issues_visible_to(user=user).filter(state__in=PUBLIC_STATES)
        public = Issue.objects.filter(state__in=public_states_for(user))
        assert set(public.values_list("pk", flat=True)) == set(
            expected.values_list("pk", flat=True)
        ), user


def test_it_shows_a_notified_issue_to_a_manufacturer_named_only_through_a_dmc(cast):
    issue = IssueFactory(
        state=IssueState.MANUFACTURER_NOTIFIED, reporter_organisation=cast.organisations["reporter"]
    )
    AffectedProductFactory(issue=issue, dmc=cast.combination, device_version=None)
    assert issue.human_id in visible_ids(cast.users["named_manufacturer"])
    assert issue.human_id not in visible_ids(cast.users["unrelated_manufacturer"])


def test_it_shows_a_notified_issue_to_an_organisation_involved_as_manufacturer(cast):
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    InvolvementFactory(
        issue=issue,
        organisation=cast.organisations["unrelated_manufacturer"],
        role=InvolvementRole.MANUFACTURER,
    )
    assert issue.human_id in visible_ids(cast.users["unrelated_manufacturer"])


def test_the_visibility_filter_holds_inside_a_subquery(cast):
    """The named manufacturer's issues are an id list in the filter; as a subquery (the issue
    table then has another alias) it must still mean the same issues."""
    issues = {state: cast.issue(state) for state in AUDIENCE}
    for issue in issues.values():
        StatementFactory(issue=issue)
    user = cast.users["named_manufacturer"]
    visible = issues_visible_to(user=user)
    statements = Statement.objects.filter(issue__in=visible)
    assert set(statements.values_list("issue__human_id", flat=True)) == {
        issues[state].human_id for state, who in AUDIENCE.items() if "named_manufacturer" in who
    }
    assert Issue.objects.filter(pk__in=visible.values("pk")).count() == visible.count()


def test_an_involvement_other_than_manufacturer_does_not_reveal_a_notified_issue(cast):
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    InvolvementFactory(
        issue=issue,
        organisation=cast.organisations["small_supplier"],
        role=InvolvementRole.AFFECTED_SUPPLIER,
    )
    assert issue.human_id not in visible_ids(cast.users["small_supplier"])


def test_the_coordinating_organisation_sees_the_issue_before_publication(cast):
    issue = cast.issue(
        IssueState.UNDER_ASSESSMENT, coordinator_organisation=cast.organisations["other_party"]
    )
    assert issue.human_id in visible_ids(cast.users["other_party"])


def test_nobody_outside_an_organisation_sees_anything(cast):
    cast.issue(IssueState.PUBLISHED)
    orphan = UserFactory(username="orphan", organisation=None)
    inactive = UserFactory(username="gone", organisation=cast.organisations["secas"])
    inactive.is_active = False
    inactive.save()
    for user in (AnonymousUser(), orphan, inactive):
        assert visible_ids(user) == set()


def test_issue_get_visible_answers_404_alike_for_hidden_and_absent(cast):
    draft = cast.issue(IssueState.DRAFT)
    outsider = cast.users["small_supplier"]
    with pytest.raises(Http404) as hidden:
        issue_get_visible(user=outsider, human_id=draft.human_id)
    with pytest.raises(Http404) as absent:
        issue_get_visible(user=outsider, human_id="KIR-1999-0001")
    assert str(hidden.value) == str(absent.value)
    assert issue_get_visible(user=cast.users["reporter"], human_id=draft.human_id.lower()) == draft


def test_statements_are_visible_only_with_their_issue(cast):
    draft = cast.issue(IssueState.DRAFT)
    first = StatementFactory(issue=draft, text="First")
    second = StatementFactory(issue=draft, text="Second", supersedes=first)
    assert list(statements_visible_to(user=cast.users["secas"], issue=draft)) == [first, second]
    assert list(statements_visible_to(user=cast.users["small_supplier"], issue=draft)) == []


@pytest.fixture
def evidence(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = cast.issue(IssueState.PUBLISHED)
    public = EvidenceFactory(issue=issue, description="Regional counts")
    private = EvidenceFactory(issue=issue, description="Device ids", installation_level=True)
    return issue, public, private


@pytest.mark.parametrize(
    ("key", "sees_installation_level"),
    [
        ("reporter", True),
        ("dcc", True),
        ("secas", True),
        ("small_supplier", False),
        ("named_manufacturer", False),
        ("electricity_network", False),
    ],
)
def test_installation_level_evidence_is_for_its_uploader_dcc_and_secas(
    cast, evidence, key, sees_installation_level
):
    issue, public, private = evidence
    user = cast.users[key]
    expected = {public, private} if sees_installation_level else {public}
    assert set(evidence_visible_to(user=user, issue=issue)) == expected
    if not sees_installation_level:
        with pytest.raises(Http404):
            evidence_get_visible(user=user, issue=issue, evidence_id=private.pk)


def test_evidence_of_a_hidden_issue_does_not_exist(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draft = cast.issue(IssueState.DRAFT)
    item = EvidenceFactory(issue=draft)
    assert list(evidence_visible_to(user=cast.users["small_supplier"], issue=draft)) == []
    with pytest.raises(Http404):
        evidence_get_visible(user=cast.users["small_supplier"], issue=draft, evidence_id=item.pk)


def test_it_lists_the_manufacturer_organisations_of_an_issue(cast):
    issue = cast.issue(IssueState.DRAFT)
    assert named_manufacturer_organisations(issue) == (
        [cast.organisations["named_manufacturer"]],
        [],
    )
    AffectedProductFactory(issue=issue, dmc=cast.combination, device_version=None)
    hub_maker = cast.other_version.device_model.manufacturer
    hub_maker.organisation = OrganisationFactory(name="Hub maker", category="manufacturer")
    hub_maker.save()
    names = [o.name for o in named_manufacturer_organisations(issue)[0]]
    assert names == ["Cast named manufacturer", "Hub maker"]


def human_ids(page_or_queryset) -> list[str]:
    items = getattr(page_or_queryset, "items", page_or_queryset)
    return [issue.human_id for issue in items]


def test_search_never_reveals_hidden_issues(cast):
    cast.issue(IssueState.DRAFT, title="Relay chatter on draft")
    published = cast.issue(IssueState.PUBLISHED, title="Relay chatter when published")
    assert human_ids(issue_search(user=cast.users["small_supplier"], query="relay chatter")) == [
        published.human_id
    ]
    assert len(issue_search(user=cast.users["secas"], query="relay chatter").items) == 2


def test_search_finds_an_exact_human_id(cast):
    issue = cast.issue(IssueState.PUBLISHED, human_id="KIR-2026-0042")
    cast.issue(IssueState.PUBLISHED)
    found = issue_search(user=cast.users["small_supplier"], query="kir-2026-0042")
    assert human_ids(found) == ["KIR-2026-0042"] == [issue.human_id]


@pytest.fixture
def catalogue_issues(cast):
    """Three published issues: on Acme's version, on the DMC, on an unrelated model."""
    on_version = cast.issue(IssueState.PUBLISHED, title="On the Acme version")
    on_dmc = IssueFactory(
        state=IssueState.PUBLISHED, reporter_organisation=cast.organisations["reporter"]
    )
    AffectedProductFactory(issue=on_dmc, dmc=cast.combination, device_version=None)
    unrelated = IssueFactory(state=IssueState.PUBLISHED)
    AffectedProductFactory(
        issue=unrelated,
        device_version=DeviceVersionFactory(
            device_model=DeviceModelFactory(
                manufacturer=ManufacturerFactory(identifier="7777", name="Seven Ltd"),
                model_id="00077777",
                name="Seven Meter",
            ),
            firmware_version="07070707",
        ),
    )
    return on_version, on_dmc, unrelated


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (IssueFilters(manufacturer="1A2B"), {"on_version", "on_dmc"}),
        (IssueFilters(manufacturer="1a-2b"), {"on_version", "on_dmc"}),
        (IssueFilters(manufacturer="acme"), {"on_version", "on_dmc"}),
        (IssueFilters(manufacturer="seven"), {"unrelated"}),
        (IssueFilters(model="00012345"), {"on_version", "on_dmc"}),
        (IssueFilters(model="flex"), {"on_version", "on_dmc"}),
        (IssueFilters(model="hub nine"), {"on_dmc"}),
        (IssueFilters(firmware="01020304"), {"on_version", "on_dmc"}),
        (IssueFilters(firmware="0x07070707"), {"unrelated"}),
        (IssueFilters(manufacturer="7777", firmware="01020304"), set()),
        (IssueFilters(dmc="DMC-0123456789AB"), {"on_version", "on_dmc"}),
        (IssueFilters(dmc="dmc-0123456789ab"), {"on_version", "on_dmc"}),
        (IssueFilters(dmc="DMC-FFFFFFFFFFFF"), set()),
    ],
)
# 0: every version filter takes the broad path (hashed sets) instead of collecting issues first.
@pytest.mark.parametrize("few_versions", [FEW_VERSIONS, 0])
def test_it_filters_by_product(
    cast, catalogue_issues, filters, expected, few_versions, monkeypatch
):
    monkeypatch.setattr("kir.register.selectors.filters.FEW_VERSIONS", few_versions)
    names = dict(zip(["on_version", "on_dmc", "unrelated"], catalogue_issues, strict=True))
    found = set(human_ids(issue_search_queryset(user=cast.users["secas"], filters=filters)))
    assert found == {names[name].human_id for name in expected}


def test_it_filters_by_issue_fields(cast):
    target = cast.issue(
        IssueState.PUBLISHED,
        category=Category.PREPAYMENT,
        regions=["central", "south"],
        evidence_level=EvidenceLevel.ESTABLISHED,
        impact_level=ImpactLevel.SEVERE,
        root_cause_status=RootCauseStatus.DISPUTED,
    )
    cast.issue(IssueState.RESOLVED, regions=["north"])
    user = cast.users["secas"]
    for filters in [
        IssueFilters(state=IssueState.PUBLISHED),
        IssueFilters(category=Category.PREPAYMENT),
        IssueFilters(region="south"),
        IssueFilters(evidence_level=EvidenceLevel.ESTABLISHED),
        IssueFilters(impact_level=ImpactLevel.SEVERE),
        IssueFilters(root_cause_status=RootCauseStatus.DISPUTED),
    ]:
        assert human_ids(issue_search_queryset(user=user, filters=filters)) == [target.human_id], (
            filters
        )


def test_it_filters_by_inclusive_date_ranges(cast):
    old, new = cast.issue(IssueState.PUBLISHED), cast.issue(IssueState.PUBLISHED)
    january = timezone.make_aware(dt.datetime(2026, 1, 15, 12, 0))
    march = timezone.make_aware(dt.datetime(2026, 3, 15, 12, 0))
    Issue.objects.filter(pk=old.pk).update(
        created_at=january, updated_at=january, published_at=january
    )
    Issue.objects.filter(pk=new.pk).update(created_at=march, updated_at=march, published_at=march)
    user = cast.users["small_supplier"]

    def found(**kwargs) -> set[str]:
        return set(human_ids(issue_search_queryset(user=user, filters=IssueFilters(**kwargs))))

    assert found(date_from=dt.date(2026, 3, 15)) == {new.human_id}
    assert found(date_to=dt.date(2026, 1, 15)) == {old.human_id}
    assert found(date_from=dt.date(2026, 1, 16), date_to=dt.date(2026, 3, 14)) == set()
    for field in ("created", "published", "updated"):
        assert found(date_field=field, date_to=dt.date(2026, 2, 1)) == {old.human_id}


def test_it_sorts(cast):
    low = cast.issue(IssueState.PUBLISHED, human_id="KIR-2026-0003", impact_level="low")
    severe = cast.issue(IssueState.PUBLISHED, human_id="KIR-2026-0001", impact_level="severe")
    moderate = cast.issue(IssueState.PUBLISHED, human_id="KIR-2026-0002", impact_level="moderate")
    for offset, issue in enumerate([low, severe, moderate]):
        stamp = timezone.now() - dt.timedelta(days=10 - offset)
        Issue.objects.filter(pk=issue.pk).update(created_at=stamp, updated_at=stamp)
    Issue.objects.filter(pk=low.pk).update(updated_at=timezone.now())
    user = cast.users["small_supplier"]

    def order(sort: str) -> list[str]:
        return human_ids(issue_search(user=user, sort=sort))

    one, two, three = "KIR-2026-0001", "KIR-2026-0002", "KIR-2026-0003"
    assert order("-created") == order("newest") == [two, one, three]
    assert order("created") == order("oldest") == [three, one, two]
    assert order("-updated") == [three, two, one]
    assert order("updated") == [one, two, three]
    assert order("-impact") == order("impact") == [one, two, three]
    assert order("human_id") == [one, two, three]
    assert order("no-such-sort") == order("-updated")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plan")
@pytest.mark.parametrize(("sort", "index"), [("-impact", "impact"), ("-evidence", "evidence")])
def test_the_ranked_sorts_can_read_their_index_on_postgresql(cast, sort, index):
    """Migration 0004 indexes the CASE that `_ranked` builds; if either changes alone, the
    planner can no longer use the index and every such page sorts all visible issues."""
    query = issue_search_queryset(user=cast.users["secas"], sort=sort).values("pk")[:25]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = query.explain()
    assert f"register_issue_{index}_sort" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plan")
def test_the_default_order_is_walked_from_its_index_alone_on_postgresql(cast):
    """Migration 0006 puts the columns `visibility_q` and the category, region and manufacturer
    filters read into the default order's index, so a list walks it without decoding wide rows;
    a rule or filter reading another column would silently lose that."""
    filters = IssueFilters(category="superfluous_alerts", region="north", manufacturer="1A2B")
    query = issue_search_queryset(user=cast.users["small_supplier"], filters=filters)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = query.values_list("pk", flat=True)[:25].explain()
    assert "Index Only Scan using register_issue_updated_sort" in plan
    assert "named_manufacturer_ids &&" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plan")
@pytest.mark.parametrize("who", ["small_supplier", "named_manufacturer"])
def test_the_list_count_is_answered_from_the_visibility_index_on_postgresql(cast, who):
    """Migration 0009 holds exactly the columns `visibility_q` reads, so the list's count of
    visible issues never decodes the wide issue rows; a rule reading another column (or the
    named-manufacturer rule losing `id`) would silently send every list back to the table."""
    cast.issue(IssueState.PUBLISHED)
    cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    query = issue_search_queryset(user=cast.users[who]).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        sql, params = query.values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) AS visible", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using register_issue_visibility" in plan, plan


def test_it_paginates_and_clamps_pages(cast):
    for _ in range(7):
        cast.issue(IssueState.PUBLISHED)
    user = cast.users["small_supplier"]
    first = issue_search(user=user, page=1, page_size=3, sort="human_id")
    last = issue_search(user=user, page=3, page_size=3, sort="human_id")
    assert (first.total, first.pages, first.page, len(first.items)) == (7, 3, 1, 3)
    assert (last.page, len(last.items), last.has_next, last.has_previous) == (3, 1, False, True)
    assert issue_search(user=user, page=99, page_size=3).page == 3
    assert issue_search(user=user, page=-5, page_size=3).page == 1
    assert issue_search(user=user, page_size=10_000).page_size == MAX_PAGE_SIZE
    assert set(human_ids(first) + human_ids(last)).isdisjoint(
        human_ids(issue_search(user=user, page=2, page_size=3, sort="human_id"))
    )


def test_an_empty_register_has_one_empty_page(cast):
    page = issue_search(user=cast.users["reporter"])
    assert (page.items, page.total, page.page, page.pages) == ([], 0, 1, 1)


def test_a_page_costs_the_same_queries_however_many_issues(cast, django_assert_max_num_queries):
    for _ in range(12):
        issue = cast.issue(IssueState.PUBLISHED)
        AffectedProductFactory(issue=issue, dmc=cast.combination, device_version=None)
    user = cast.users["small_supplier"]
    user.refresh_from_db()
    # The issues naming the user's organisation as manufacturer (visibility_q), the page's ids,
    # its issues, their products, versions and DMCs.
    with django_assert_max_num_queries(6):
        page = issue_search(user=user, query="firmware", page_size=10, with_products=True)
        for issue in page.items:
            for product in issue.products.all():
                version = product.device_version
                str(version.device_model.manufacturer if version else product.dmc)
            str(issue.reporter_organisation)
    assert page.total == 12


def test_supplier_categories_see_the_same_register(cast):
    cast.issue(IssueState.PUBLISHED)
    for category in PartyCategory.values:
        if category in (PartyCategory.DCC, PartyCategory.SECAS):
            continue
        user = UserFactory(organisation=OrganisationFactory(category=category))
        assert len(visible_ids(user)) == 1, category


def test_it_sorts_by_relevance_only_with_search_text(cast):
    weak = cast.issue(
        IssueState.PUBLISHED,
        title="Display blank after a power cycle",
        summary="A single mention of flapping among many words about displays and screens.",
    )
    strong = cast.issue(
        IssueState.PUBLISHED, title="Flapping relay", summary="Flapping and more flapping."
    )
    Issue.objects.filter(pk=weak.pk).update(updated_at=timezone.now() + dt.timedelta(days=1))
    user = cast.users["small_supplier"]
    assert human_ids(issue_search(user=user, query="flapping", sort="relevance")) == [
        strong.human_id,
        weak.human_id,
    ]
    assert human_ids(issue_search(user=user, sort="relevance")) == [weak.human_id, strong.human_id]


def test_every_named_manufacturer_sees_the_notified_issue(cast):
    """Notices go to `named_manufacturer_organisations`; each of them must see the issue."""
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    AffectedProductFactory(issue=issue, dmc=cast.combination, device_version=None)
    hub_maker = cast.other_version.device_model.manufacturer
    hub_maker.organisation = OrganisationFactory(name="Hub maker", category="manufacturer")
    hub_maker.save()
    InvolvementFactory(
        issue=issue,
        organisation=cast.organisations["other_party"],
        role=InvolvementRole.MANUFACTURER,
    )
    named, unreachable = named_manufacturer_organisations(issue)
    assert (len(named), unreachable) == (3, [])
    for organisation in named:
        member = UserFactory(organisation=organisation)
        assert issue.human_id in visible_ids(member), organisation.name
