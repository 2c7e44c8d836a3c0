from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kir.identifiers import IdentifierError
from kir.register.models import IssueState, ProductStatus
from kir.register.selectors import (
    MAX_PROCUREMENT_ITEMS,
    ProcurementItem,
    parse_procurement_text,
    procurement_check,
    procurement_check_rows,
    procurement_item,
    procurement_item_for_version,
)
from tests.factories import (
    AffectedProductFactory,
    DeviceVersionFactory,
    DMCFactory,
    IssueFactory,
)
from tests.register.cast import Cast, build_cast

ACME_MODEL = ProcurementItem(kind="model", manufacturer="1A2B", model="00012345")
ACME_AT_FW = ProcurementItem(
    kind="firmware", manufacturer="1A2B", model="00012345", firmware="01020304"
)
THE_DMC = ProcurementItem(kind="dmc", dmc="DMC-0123456789AB")


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("1A2B 00012345", ACME_MODEL),
        ("  1a2b/00012345  ", ACME_MODEL),
        ("0x1A2B, 0001-2345", ACME_MODEL),
        ("1A2B 00012345 fw 01020304", ACME_AT_FW),
        ("1A2B 00012345 FIRMWARE 01020304", ACME_AT_FW),
        ("1A2B/00012345/01020304", ACME_AT_FW),
        ("DMC-0123456789AB", THE_DMC),
        ("dmc-0123456789ab", THE_DMC),
    ],
)
def test_it_parses_each_line_format(line, item):
    assert parse_procurement_text(line) == ([item], [])


def test_it_reports_each_bad_line_and_keeps_the_good_ones():
    text = "\n".join(
        [
            "# our estate",
            "1A2B 00012345",
            "",
            "1A2B",
            "ZZZZ 00012345",
            "1A2B 00012345 fw 123",
            "DMC-XYZ",
            "1A2B 00012345 fw 01020304 extra",
            "1A2B 00012345",
            "DMC-0123456789AB",
        ]
    )
    items, errors = parse_procurement_text(text)
    assert items == [ACME_MODEL, THE_DMC]
    assert [(e.line, e.text) for e in errors] == [
        (4, "1A2B"),
        (5, "ZZZZ 00012345"),
        (6, "1A2B 00012345 fw 123"),
        (7, "DMC-XYZ"),
        (8, "1A2B 00012345 fw 01020304 extra"),
    ]
    assert "manufacturer identifier" in errors[1].message
    assert "firmware version" in errors[2].message
    assert "DMC identifier" in errors[3].message
    assert "line 4" in str(errors[0])


def test_it_refuses_lines_beyond_the_limit_instead_of_dropping_them():
    lines = [f"1A2B {n:08X}" for n in range(MAX_PROCUREMENT_ITEMS + 2)]
    items, errors = parse_procurement_text("\n".join(lines))
    assert len(items) == MAX_PROCUREMENT_ITEMS
    assert [e.line for e in errors] == [MAX_PROCUREMENT_ITEMS + 1, MAX_PROCUREMENT_ITEMS + 2]


def test_procurement_item_names_the_bad_field():
    assert procurement_item(manufacturer="1a2b", model="0012-3456", firmware="") == ProcurementItem(
        kind="model", manufacturer="1A2B", model="00123456"
    )
    with pytest.raises(IdentifierError, match="model identifier"):
        procurement_item(manufacturer="1A2B", model="12345")
    with pytest.raises(IdentifierError, match="DMC identifier"):
        procurement_item(dmc="DMC-1")


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


def issue_ids(result) -> list[str]:
    return [match.issue.human_id for match in result.matches]


def check(cast: Cast, *items: ProcurementItem, key: str = "small_supplier", **page):
    return procurement_check(user=cast.users[key], items=list(items), **page)


def test_it_finds_register_issues_on_the_model_its_firmware_and_dmcs_containing_it(cast):
    on_version = cast.issue(IssueState.PUBLISHED)
    on_dmc = IssueFactory(state=IssueState.RESOLVED)
    AffectedProductFactory(issue=on_dmc, dmc=cast.combination, device_version=None)
    newer_firmware = DeviceVersionFactory(
        device_model=cast.affected_version.device_model, firmware_version="01020305"
    )
    on_newer = IssueFactory(state=IssueState.CLOSED)
    AffectedProductFactory(issue=on_newer, device_version=newer_firmware)

    model, at_fw, at_newer = check(
        cast, ACME_MODEL, ACME_AT_FW, procurement_item_for_version(newer_firmware)
    )

    assert set(issue_ids(model)) == {on_version.human_id, on_dmc.human_id, on_newer.human_id}
    assert set(issue_ids(at_fw)) == {on_version.human_id, on_dmc.human_id}
    assert issue_ids(at_newer) == [on_newer.human_id]
    assert model.in_catalogue and at_fw.in_catalogue


def test_a_dmc_matches_issues_on_itself_and_on_its_member_versions(cast):
    on_member = cast.issue(IssueState.PUBLISHED)
    on_dmc = IssueFactory(state=IssueState.PUBLISHED)
    AffectedProductFactory(issue=on_dmc, dmc=cast.combination, device_version=None)
    unrelated_dmc = DMCFactory(members=[DeviceVersionFactory()])
    on_other_dmc = IssueFactory(state=IssueState.PUBLISHED)
    AffectedProductFactory(issue=on_other_dmc, dmc=unrelated_dmc, device_version=None)

    (result,) = check(cast, THE_DMC)

    assert set(issue_ids(result)) == {on_member.human_id, on_dmc.human_id}


def test_it_reports_only_issues_on_the_register_and_marks_withdrawn_ones(cast):
    by_state = {state: cast.issue(state) for state in IssueState.values}

    (result,) = check(cast, ACME_AT_FW, key="secas")

    listed = {m.issue.state: m for m in result.matches}
    assert set(listed) == {"published", "resolved", "closed", "withdrawn"}
    assert [s for s, m in listed.items() if m.withdrawn] == ["withdrawn"]
    assert listed["published"].issue == by_state["published"]


def test_it_shows_the_matching_products_and_their_status(cast):
    issue = cast.issue(IssueState.PUBLISHED)
    AffectedProductFactory(
        issue=issue,
        dmc=cast.combination,
        device_version=None,
        status=ProductStatus.FIXED,
        first_fixed_firmware="01020399",
    )
    AffectedProductFactory(issue=issue, device_version=DeviceVersionFactory())

    (result,) = check(cast, ACME_AT_FW)

    (match,) = result.matches
    assert [(p.device_version_id, p.dmc_id, p.status) for p in match.products] == [
        (cast.affected_version.pk, None, ProductStatus.KNOWN_AFFECTED),
        (None, cast.combination.pk, ProductStatus.FIXED),
    ]


def test_a_model_id_is_matched_with_its_manufacturer(cast):
    """Two manufacturers may use the same model id; each one's item finds only its own."""
    acme_issue = cast.issue(IssueState.PUBLISHED)
    namesake = DeviceVersionFactory(
        device_model__manufacturer__identifier="7C7C",
        device_model__model_id="00012345",
        firmware_version="01020304",
    )
    namesake_issue = IssueFactory(state=IssueState.PUBLISHED)
    AffectedProductFactory(issue=namesake_issue, device_version=namesake)
    other = ProcurementItem(
        kind="firmware", manufacturer="7C7C", model="00012345", firmware="01020304"
    )

    acme, namesakes = check(cast, ACME_AT_FW, other)

    assert issue_ids(acme) == [acme_issue.human_id]
    assert issue_ids(namesakes) == [namesake_issue.human_id]


def test_its_rows_label_each_product_through_which_an_issue_touches_an_item(cast):
    """Labels come from the catalogue reads of the check: the items' versions and the DMCs
    containing them, a checked DMC and its members."""
    on_version = cast.issue(IssueState.PUBLISHED)
    on_dmc = IssueFactory(state=IssueState.PUBLISHED)
    AffectedProductFactory(issue=on_dmc, dmc=cast.combination, device_version=None)
    on_member = IssueFactory(state=IssueState.PUBLISHED)
    AffectedProductFactory(issue=on_member, device_version=cast.other_version)

    at_fw, dmc = procurement_check_rows(
        user=cast.users["small_supplier"], items=[ACME_AT_FW, THE_DMC]
    )

    def labels(result) -> dict[str, list[str]]:
        return {m.human_id: [p.label for p in m.products] for m in result.matches}

    other = cast.other_version
    other_label = (
        f"{other.device_model.manufacturer.identifier}/{other.device_model.model_id}/"
        f"{other.firmware_version}"
    )
    assert labels(at_fw) == {
        on_version.human_id: ["1A2B/00012345/01020304"],
        on_dmc.human_id: ["DMC-0123456789AB"],
    }
    assert labels(dmc) == {
        on_version.human_id: ["1A2B/00012345/01020304"],
        on_dmc.human_id: ["DMC-0123456789AB"],
        on_member.human_id: [other_label],
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plan")
@pytest.mark.django_db(transaction=True)
def test_its_products_and_their_issues_are_read_from_indexes_alone_on_postgresql(cast):
    """Register migrations 0006 and 0007 hold what the check reads of each product and of its
    issue in indexes; a column read beyond them would send every row to the table again."""
    cast.issue(IssueState.PUBLISHED)
    with CaptureQueriesContext(connection) as captured:
        check(cast, ACME_AT_FW, THE_DMC)
    (sql,) = [query["sql"] for query in captured if "DENSE_RANK" in query["sql"]]
    with connection.cursor() as cursor:
        # Committed and vacuumed, as the benchmark's data is: PostgreSQL reads an index alone
        # only for table pages its visibility map marks all-visible.
        cursor.execute("VACUUM ANALYZE register_affectedproduct, register_issue")
        # The plan the benchmark data gets; a handful of rows alone would be joined any way.
        for method in ("seqscan", "bitmapscan", "material", "hashjoin", "mergejoin"):
            cursor.execute(f"SET enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET ALL")
    for index in (
        "register_affectedproduct_version_cover",
        "register_affectedproduct_dmc_issue",
        "register_issue_publication",
    ):
        assert f"Index Only Scan using {index}" in plan, plan


def test_it_says_when_an_item_is_not_in_the_catalogue(cast):
    cast.issue(IssueState.PUBLISHED)
    unknown_model = ProcurementItem(kind="model", manufacturer="1A2B", model="0000FFFF")
    unknown_fw = ProcurementItem(
        kind="firmware", manufacturer="1A2B", model="00012345", firmware="FFFFFFFF"
    )
    unknown_dmc = ProcurementItem(kind="dmc", dmc="DMC-FFFFFFFFFFFF")
    results = check(cast, unknown_model, unknown_fw, unknown_dmc, ACME_MODEL)
    assert [r.in_catalogue for r in results] == [False, False, False, True]
    assert [len(r.matches) for r in results] == [0, 0, 0, 1]


def test_it_costs_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    for _ in range(5):
        issue = cast.issue(IssueState.PUBLISHED)
        AffectedProductFactory(issue=issue, dmc=cast.combination, device_version=None)
    items = [ACME_MODEL, ACME_AT_FW, THE_DMC] + [
        ProcurementItem(kind="model", manufacturer="1A2B", model=f"{n:08X}") for n in range(50)
    ]
    user = cast.users["small_supplier"]
    user.refresh_from_db()
    # The user's organisation, the catalogue (3), the products, their issues, and the page: its
    # issues, products, device versions and DMCs.
    with django_assert_max_num_queries(10):
        results = procurement_check(user=user, items=items)
        for result in results:
            for match in result.matches:
                str(match.issue.title)
                for product in match.products:
                    version = product.device_version
                    str(version.device_model.manufacturer if version else product.dmc)
    assert [len(r.matches) for r in results[:3]] == [5, 5, 5]


def test_an_unauthenticated_check_finds_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    cast.issue(IssueState.PUBLISHED)
    (result,) = procurement_check(user=AnonymousUser(), items=[ACME_MODEL])
    assert result.matches == []
    (row,) = procurement_check_rows(user=AnonymousUser(), items=[ACME_MODEL])
    assert (row.matches, row.total) == ([], 0)


def test_it_answers_each_item_a_page_of_issues_newest_publication_first_with_the_total(cast):
    now = timezone.now()
    by_age = [
        cast.issue(IssueState.PUBLISHED, published_at=now - dt.timedelta(days=days))
        for days in (3, 1, 2, 5, 4)
    ]
    newest_first = [by_age[i].human_id for i in (1, 2, 0, 4, 3)]
    never_published = cast.issue(IssueState.WITHDRAWN, published_at=None)

    first, model = check(cast, ACME_AT_FW, ACME_MODEL, limit=2)
    (rest,) = check(cast, ACME_AT_FW, offset=2, limit=10)
    (beyond,) = check(cast, ACME_AT_FW, offset=10)

    assert issue_ids(first) == newest_first[:2] == issue_ids(model)
    assert (first.total, first.offset, first.more) == (6, 0, 4)
    assert issue_ids(rest) == [*newest_first[2:], never_published.human_id]
    assert (rest.total, rest.offset, rest.more) == (6, 2, 0)
    assert (beyond.matches, beyond.total, beyond.more) == ([], 6, 0)


def test_its_total_counts_issues_not_the_products_through_which_they_touch(cast):
    issue = cast.issue(IssueState.PUBLISHED)
    AffectedProductFactory(issue=issue, dmc=cast.combination, device_version=None)
    cast.issue(IssueState.DRAFT)

    (result,) = check(cast, ACME_MODEL, limit=1)

    assert (result.total, result.more) == (1, 0)
    assert [len(m.products) for m in result.matches] == [2]


def test_it_keeps_the_page_size_within_bounds(cast):
    for _ in range(3):
        cast.issue(IssueState.PUBLISHED)
    (smallest,) = check(cast, ACME_AT_FW, limit=0, offset=-4)
    assert (len(smallest.matches), smallest.offset, smallest.more) == (1, 0, 2)
