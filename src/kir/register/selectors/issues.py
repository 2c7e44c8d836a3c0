"""Who may see which issue, statement and evidence; search, filters, sorting and pagination.

The UI, the API, exports, feeds and notifications read issues and evidence through these
functions. Visibility (issue 3 #8) is one SQL filter, `visibility_q`, so it composes with search,
filters, counting and pagination in the database:

- draft, under assessment: the reporting organisation, SECAS and DCC;
- manufacturer notified: also the named manufacturers: organisations that speak for the catalogue
  manufacturer of an affected device version or of a member of an affected DMC, or that are
  involved in the issue as manufacturer (the same set the notices go to);
- published, resolved, closed, withdrawn: every signed-in member of a SEC Party;
- rejected: the reporter, SECAS and DCC.
The coordinating organisation, when one is assigned, sees the issue as the reporter does.
Anything hidden answers 404 (`issue_get_visible`), exactly as if it did not exist.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from kir.accounts.models import Organisation, PartyCategory
from kir.accounts.selectors import user_is_member
from kir.catalogue.models import DMC, DeviceModel, DeviceVersion, Manufacturer
from kir.identifiers import IdentifierError, normalise_firmware_version, normalise_hex
from kir.register.models import (
    AffectedProduct,
    EvidenceLevel,
    ImpactLevel,
    Involvement,
    InvolvementRole,
    Issue,
    IssueState,
    Statement,
)
from kir.register.workflow import PUBLIC_STATES
from kir.search.index import search_match, search_rank

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User
    from kir.register.models import Evidence

# Organisations that see every issue in every state, and all installation-level evidence.
OVERSIGHT_CATEGORIES = frozenset({PartyCategory.SECAS, PartyCategory.DCC})
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

_HUMAN_ID = re.compile(r"^\s*KIR-\d{4}-\d{1,6}\s*$", re.IGNORECASE)


def _organisation_of(user: User | AnonymousUser) -> Organisation | None:
    if not user_is_member(user):
        return None
    return user.organisation  # type: ignore[union-attr]


@functools.cache
def _named_issue_ids_sql() -> str:
    """Issues in manufacturer-notified naming a manufacturer that an organisation speaks for:
    through an affected device version, through an affected DMC containing one of its versions,
    or through an involvement as manufacturer. Parameters: organisation, state, organisation,
    role. Plain SQL, the same on both engines, composed once: as an ORM subquery inside every
    list query it cost more to build and for PostgreSQL to plan than the list itself."""
    version, model, maker = (m._meta.db_table for m in (DeviceVersion, DeviceModel, Manufacturer))
    product, issue = AffectedProduct._meta.db_table, Issue._meta.db_table
    members, involvement = DMC.members.through._meta.db_table, Involvement._meta.db_table
    return f"""
        WITH spoken_for AS (
            SELECT v.id FROM {version} v
            JOIN {model} m ON m.id = v.device_model_id
            JOIN {maker} f ON f.id = m.manufacturer_id
            WHERE f.organisation_id = %s
        )
        SELECT i.id FROM {issue} i WHERE i.state = %s AND i.id IN (
            SELECT p.issue_id FROM {product} p
            WHERE p.device_version_id IN (SELECT id FROM spoken_for)
            UNION ALL
            SELECT p.issue_id FROM {product} p JOIN {members} d ON d.dmc_id = p.dmc_id
            WHERE d.deviceversion_id IN (SELECT id FROM spoken_for)
            UNION ALL
            SELECT n.issue_id FROM {involvement} n WHERE n.organisation_id = %s AND n.role = %s
        )"""


def named_manufacturer_issue_ids(organisation_id: int) -> list[int]:
    """Ids of the manufacturer-notified issues that name `organisation_id` as a manufacturer."""
    params = (
        organisation_id,
        IssueState.MANUFACTURER_NOTIFIED.value,
        organisation_id,
        InvolvementRole.MANUFACTURER.value,
    )
    with connection.cursor() as cursor:
        cursor.execute(_named_issue_ids_sql(), params)
        return [row[0] for row in cursor.fetchall()]


class _IdAmong(Func):
    """`<issue id> = ANY(<ids>::bigint[])` (PostgreSQL). Over the resolved primary key, so it
    follows the table's alias when the queryset becomes a subquery."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        issue_pk, ids = self.get_source_expressions()
        pk_sql, pk_params = compiler.compile(issue_pk)
        return f"{pk_sql} = ANY(%s::bigint[])", (*pk_params, ids.value)


def issue_id_among(ids: Collection[int]) -> Q:
    """Issue id among `ids`. PostgreSQL takes the ids as one array value: a list of thousands of
    separate literals (IN (...)) cost it more to parse and plan than to run the query."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    return Q(_IdAmong(F("pk"), Value(sorted(ids))))


def visibility_q(user: User | AnonymousUser) -> Q:
    """The visibility rules as one filter over Issue; matches nothing for non-members.

    The issues naming the organisation as manufacturer are read first, as a list (usually empty:
    only manufacturers are named, and only issues in manufacturer-notified count), so the filter
    every list, search and count carries stays three plain column tests and, at most, an id list.
    The state is tested again in the filter itself, so an issue that moved on in between does not
    stay visible through the list.
    """
    organisation = _organisation_of(user)
    if organisation is None:
        return Q(pk__in=[])
    if organisation.category in OVERSIGHT_CATEGORIES:
        return Q()
    visible = (
        Q(state__in=PUBLIC_STATES)
        | Q(reporter_organisation_id=organisation.pk)
        | Q(coordinator_organisation_id=organisation.pk)
    )
    named = named_manufacturer_issue_ids(organisation.pk)
    if named:
        visible |= Q(state=IssueState.MANUFACTURER_NOTIFIED) & issue_id_among(named)
    return visible


def issues_visible_to(*, user: User | AnonymousUser) -> QuerySet[Issue]:
    return Issue.objects.filter(visibility_q(user))


def public_states_for(user: User | AnonymousUser) -> frozenset[str]:
    """The states of the issues on the public register that `user` sees: every public state
    (published, resolved, closed, withdrawn) for a member of any organisation, none otherwise.

    Filtering by these states alone gives the same issues as `visibility_q(user)` with a
    public-state filter: the reporter and manufacturer rules cannot widen it.
    """
    return PUBLIC_STATES if _organisation_of(user) is not None else frozenset()


def issue_get_visible(*, user: User | AnonymousUser, human_id: str) -> Issue:
    """The issue, or Http404 when it is hidden from `user` or does not exist (the same answer)."""
    issue = (
        issues_visible_to(user=user)
        .select_related("reporter_organisation", "coordinator_organisation", "created_by")
        .prefetch_related(_products_prefetch())
        .filter(human_id=human_id.strip().upper())
        .first()
    )
    if issue is None:
        raise Http404("No such issue.")
    return issue


def _products_prefetch() -> Prefetch:
    return Prefetch(
        "products",
        queryset=AffectedProduct.objects.select_related(
            "device_version__device_model__manufacturer", "dmc"
        ),
    )


def statements_visible_to(*, user: User | AnonymousUser, issue: Issue) -> QuerySet[Statement]:
    """Every statement of a visible issue, oldest first, supersessions and challenges included."""
    if not issues_visible_to(user=user).filter(pk=issue.pk).exists():
        return Statement.objects.none()
    return Statement.objects.filter(issue=issue).select_related(
        "organisation", "author", "supersedes", "challenges"
    )


def evidence_visible_to(*, user: User | AnonymousUser, issue: Issue) -> QuerySet[Evidence]:
    """Evidence of a visible issue; installation-level items only for the uploading organisation,
    DCC and SECAS. For anyone else such items do not exist, not even as a count."""
    from kir.register.models import Evidence

    organisation = _organisation_of(user)
    if organisation is None or not issues_visible_to(user=user).filter(pk=issue.pk).exists():
        return Evidence.objects.none()
    evidence = Evidence.objects.filter(issue=issue).select_related("organisation", "uploaded_by")
    if organisation.category in OVERSIGHT_CATEGORIES:
        return evidence
    return evidence.filter(Q(installation_level=False) | Q(organisation_id=organisation.pk))


def evidence_get_visible(*, user: User | AnonymousUser, issue: Issue, evidence_id: int) -> Evidence:
    item = evidence_visible_to(user=user, issue=issue).filter(pk=evidence_id).first()
    if item is None:
        raise Http404("No such evidence.")
    return item


def issue_manufacturer_organisations(*, issue: Issue) -> QuerySet[Organisation]:
    """Organisations that see the issue from notice onwards as its named manufacturers."""
    by_version = Q(
        manufacturers__models__versions__affected_by__issue=issue,
    )
    by_dmc = Q(manufacturers__models__versions__dmcs__affected_by__issue=issue)
    involved = Q(involvements__issue=issue, involvements__role=InvolvementRole.MANUFACTURER)
    ids = Organisation.objects.filter(by_version | by_dmc | involved).values("pk")
    return Organisation.objects.filter(pk__in=ids).order_by("name")


DateField = Literal["updated", "created", "published"]


@dataclass(frozen=True)
class IssueFilters:
    """Filters of the list, search, export and API; empty values do not filter.

    `manufacturer` is a 4-hex GBCS identifier or part of a name, `model` an 8-hex model id or part
    of a name, `firmware` an 8-hex version, `dmc` a DMC identifier (an issue matches a DMC when it
    names the DMC or one of its member device versions). Dates are inclusive days of `date_field`.
    """

    state: str | None = None
    category: str | None = None
    region: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    dmc: str | None = None
    evidence_level: str | None = None
    impact_level: str | None = None
    root_cause_status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    date_field: DateField = "updated"


def _ranked(field: str, values: list[str]) -> Case:
    return Case(
        *(When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)),
        default=Value(-1),
        output_field=IntegerField(),
    )


SORTS: dict[str, tuple[Any, ...]] = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-published": ("-published_at", "-id"),
    "human_id": ("human_id",),
    "-impact": (_ranked("impact_level", list(ImpactLevel.values)).desc(), "-updated_at", "-id"),
    "-evidence": (
        _ranked("evidence_level", list(EvidenceLevel.values)).desc(),
        "-updated_at",
        "-id",
    ),
}
SORT_ALIASES = {"newest": "-created", "oldest": "created", "impact": "-impact"}
DEFAULT_SORT = "-updated"
# Best match first; needs search text (kir.search.index.search_rank).
RELEVANCE = "relevance"


def _hex_or_none(value: str, digits: int) -> str | None:
    try:
        return normalise_hex(value, digits=digits)
    except IdentifierError:
        return None


def _manufacturer_q(text: str, via: str = "") -> Q:
    """Manufacturers (or, with `via`, the rows pointing to one) named by the manufacturer
    filter: part of the name, or the 4-hex GBCS identifier."""
    text = text.strip()
    by_name = Q(**{f"{via}name__icontains": text})
    ident = _hex_or_none(text, 4)
    return (by_name | Q(**{f"{via}identifier": ident})) if ident else by_name


def _version_q(filters: IssueFilters) -> Q | None:
    """Conditions on one device version from the manufacturer, model and firmware filters."""
    q = Q()
    if filters.manufacturer:
        q &= _manufacturer_q(filters.manufacturer, via="device_model__manufacturer__")
    if filters.model:
        text = filters.model.strip()
        by_name = Q(device_model__name__icontains=text)
        model_id = _hex_or_none(text, 8)
        q &= (by_name | Q(device_model__model_id=model_id)) if model_id else by_name
    if filters.firmware:
        try:
            q &= Q(firmware_version=normalise_firmware_version(filters.firmware))
        except IdentifierError:
            q &= Q(firmware_version__icontains=filters.firmware.strip())
    return q or None


def _issues_naming(versions: QuerySet[Any], dmcs: QuerySet[Any]) -> Q:
    """Issues with an affected product that is one of `versions` or one of `dmcs` (querysets of
    ids).

    One IN over a UNION ALL of index lookups: the database collects the few issues named and
    then reads them. As separate IN subqueries joined by OR it tested every issue against each.
    """
    products = AffectedProduct.objects.order_by()
    by_version = products.filter(device_version_id__in=versions).values("issue_id")
    by_dmc = products.filter(dmc_id__in=dmcs).values("issue_id")
    return Q(pk__in=by_version.union(by_dmc, all=True))


def _issues_with_products(versions: QuerySet[Any]) -> Q:
    """Issues naming one of `versions` directly or through a DMC containing it."""
    dmcs = DMC.members.through.objects.filter(deviceversion_id__in=versions).values("dmc_id")
    return _issues_naming(versions, dmcs)


def _issues_with_products_each(versions: QuerySet[Any]) -> Q:
    """The issues of `_issues_with_products(versions)`, tested issue by issue: two IN subqueries
    joined by OR stay two hashed sets that each issue is looked up in, as the list is walked in
    its order, so a broad filter stops once it has found enough (see `_product_filter_q`)."""
    products = AffectedProduct.objects.order_by()
    dmcs = DMC.members.through.objects.filter(deviceversion_id__in=versions).values("dmc_id")
    return Q(pk__in=products.filter(device_version_id__in=versions).values("issue_id")) | Q(
        pk__in=products.filter(dmc_id__in=dmcs).values("issue_id")
    )


# A manufacturer, model or firmware filter naming at most this many device versions collects
# the issues they name first (a few hundred at most); a broader one tests each issue against
# hashed sets while walking the list order, and stops at the page and the count cap. Either way
# the same issues match. (A manufacturer alone, on PostgreSQL, tests the issue's array of named
# manufacturers instead: see `_product_filter_q`.)
FEW_VERSIONS = 50


# On PostgreSQL, the ids of the manufacturers each issue names, kept on its row by triggers on the
# affected products (register migration 0006); unknown to the Issue model.
NAMED_MANUFACTURERS_COLUMN = "named_manufacturer_ids"


class _NamesManufacturerAmong(Func):
    """`<issue>.named_manufacturer_ids && <manufacturer ids>::bigint[]` (PostgreSQL): the issue
    names one of the manufacturers, through a device version or a DMC member. The column is
    addressed through the alias of the issue's resolved primary key column."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        issue_pk, manufacturer_ids = self.get_source_expressions()
        column = NAMED_MANUFACTURERS_COLUMN
        identifiers = (issue_pk.alias, column) if issue_pk.alias else (column,)
        column_sql = ".".join(map(compiler.quote_name_unless_alias, identifiers))
        return f"{column_sql} && %s::bigint[]", (manufacturer_ids.value,)


def _product_filter_q(filters: IssueFilters) -> Q:
    q = Q()
    only_manufacturer = not (filters.model or filters.firmware)
    if filters.manufacturer and only_manufacturer and connection.vendor == "postgresql":
        # A whole manufacturer is named by a large share of the register (a third, in the
        # benchmark): one array test per issue instead of hashing every product naming it. The
        # ids go in as a constant, so the planner reads the column's element statistics; behind
        # a subquery it assumed a handful of matches and sorted every issue row instead of
        # walking the list order.
        matching = Manufacturer.objects.filter(_manufacturer_q(filters.manufacturer))
        ids = sorted(matching.values_list("pk", flat=True))
        if not ids:
            return Q(pk__in=[])
        q &= Q(_NamesManufacturerAmong(F("pk"), Value(ids)))
        filters = dataclasses.replace(filters, manufacturer=None)
    version_q = _version_q(filters)
    if version_q is not None:
        versions = DeviceVersion.objects.filter(version_q).values("pk")
        few = list(versions.values_list("pk", flat=True)[: FEW_VERSIONS + 1])
        if len(few) <= FEW_VERSIONS:
            q &= _issues_with_products(DeviceVersion.objects.filter(pk__in=few).values("pk"))
        else:
            q &= _issues_with_products_each(versions)
    if filters.dmc:
        dmc = DMC.objects.filter(identifier=filters.dmc.strip().upper()).values("pk")
        members = DMC.members.through.objects.filter(dmc_id__in=dmc).values("deviceversion_id")
        q &= _issues_naming(members, dmc)
    return q


def _region_q(region: str) -> Q:
    """Issues seen in `region` (regions is a JSON list of fixed slugs).

    PostgreSQL tests the array element with jsonb `?`, which its planner estimates from the
    column's statistics; a LIKE over the JSON text was estimated at a couple of rows and led it
    to probe a search document per issue. SQLite has no such operator: the quoted slug in the
    JSON text matches one element exactly.
    """
    if connection.vendor == "postgresql":
        return Q(regions__has_key=region)
    return Q(regions__icontains=f'"{region}"')


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filters_q(filters: IssueFilters) -> Q:
    q = Q()
    for name in ("state", "category", "evidence_level", "impact_level", "root_cause_status"):
        value = getattr(filters, name)
        if value:
            q &= Q(**{name: value})
    if filters.region:
        q &= _region_q(filters.region)
    # Inclusive local days as a half-open range of instants: the column is compared as stored,
    # so its index serves, instead of converting every row to a local date first.
    if filters.date_from:
        q &= Q(**{f"{filters.date_field}_at__gte": _start_of_day(filters.date_from)})
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        q &= Q(**{f"{filters.date_field}_at__lt": _start_of_day(next_day)})
    return q & _product_filter_q(filters)


def text_search_q(query: str) -> Q:
    """Full text over the search documents; a typed human id also matches that issue exactly."""
    q = search_match(query)
    if _HUMAN_ID.match(query):
        q |= Q(human_id=query.strip().upper())
    return q


def issue_search_queryset(
    *,
    user: User | AnonymousUser,
    query: str = "",
    filters: IssueFilters | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[Issue]:
    """Every visible issue matching the query and filters, in order; for exports and pagination."""
    issues = issues_visible_to(user=user)
    if query.strip():
        issues = issues.filter(text_search_q(query))
    if filters is not None:
        issues = issues.filter(filters_q(filters))
    sort = SORT_ALIASES.get(sort, sort)
    if sort == RELEVANCE and query.strip():
        ordering: tuple[Any, ...] = (search_rank(query).desc(nulls_last=True), *SORTS[DEFAULT_SORT])
    else:
        # An unknown sort (a hand-edited URL), or relevance without search text, falls back to
        # the default rather than failing.
        ordering = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return issues.order_by(*ordering).select_related(
        "reporter_organisation", "coordinator_organisation"
    )


def _page_ids(
    issues: QuerySet[Issue], page: int, page_size: int, count_cap: int | None
) -> tuple[list[int], int, bool, int]:
    """The ids on `page` in order, the number of matches (or a lower bound, flagged), and the
    page, clamped into range when the count is exact.

    With `count_cap`, one query reads the ordered ids up to the cap (or the requested page, if
    further) plus one: their number is the count, a slice of them the page, and a page that
    exists is always served. Without it, an exact COUNT and then the page (LIMIT/OFFSET).
    """
    ids = issues.select_related(None).values_list("pk", flat=True)
    if count_cap is not None:
        cap = max(count_cap, page * page_size)
        found = list(ids[: cap + 1])
        is_estimate = len(found) > cap
        total = cap if is_estimate else len(found)
    else:
        found, is_estimate = None, False
        total = issues.order_by().count()
    if not is_estimate:
        page = min(page, max(1, math.ceil(total / page_size)))
    if not total:
        return [], 0, False, page
    start = (page - 1) * page_size
    page_ids = (found if found is not None else ids)[start : start + page_size]
    return list(page_ids), total, is_estimate, page


ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class IssuePage(Generic[ItemT]):
    items: list[ItemT]
    # The number of matches; with total_is_estimate, a lower bound: there are more than this.
    total: int
    page: int
    pages: int
    page_size: int
    total_is_estimate: bool = False

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.total_is_estimate


def _search_page(
    user: User | AnonymousUser,
    query: str,
    filters: IssueFilters | None,
    sort: str,
    page: int,
    page_size: int,
    count_cap: int | None,
) -> IssuePage[int]:
    """The ids on one page of `issue_search_queryset`, in order, with the page's numbers."""
    issues = issue_search_queryset(user=user, query=query, filters=filters, sort=sort)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    ids, total, is_estimate, page = _page_ids(issues, max(1, page), page_size, count_cap)
    return IssuePage(
        items=ids,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / page_size)),
        page_size=page_size,
        total_is_estimate=is_estimate,
    )


def _with_items(page: IssuePage[int], items: list[ItemT]) -> IssuePage[ItemT]:
    return IssuePage(
        items=items,
        total=page.total,
        page=page.page,
        pages=page.pages,
        page_size=page.page_size,
        total_is_estimate=page.total_is_estimate,
    )


def issue_search(
    *,
    user: User | AnonymousUser,
    query: str = "",
    filters: IssueFilters | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    with_products: bool = False,
    count_cap: int | None = None,
) -> IssuePage[Issue]:
    """One page of `issue_search_queryset`; the page number is clamped into range.

    Without `count_cap`, two narrow queries: a COUNT of the matches, then the page's ids in order
    (LIMIT/OFFSET). (One query with a window count beside the LIMIT was tried: PostgreSQL 15
    costs the window as if the LIMIT stopped it early and probed each issue's document in turn.)
    With it, one query: the ordered ids up to the cap (see `_page_ids`); a COUNT over a LIMIT
    had PostgreSQL hash every visible issue to count a thousand text matches. `count_cap` bounds
    the count: beyond it (or beyond the requested page) `total` is a lower bound and
    `total_is_estimate` is set. Only the page's issues are then read whole; `with_products`
    prefetches each one's affected products with their catalogue entries.
    """
    found = _search_page(user, query, filters, sort, page, page_size, count_cap)
    # The ids passed every filter above; re-applying them here would only repeat the search.
    page_issues = Issue.objects.select_related("reporter_organisation", "coordinator_organisation")
    if with_products:
        page_issues = page_issues.prefetch_related(_products_prefetch())
    by_id = page_issues.in_bulk(found.items)
    return _with_items(found, [by_id[pk] for pk in found.items if pk in by_id])


def issue_search_values(
    *,
    user: User | AnonymousUser,
    fields: tuple[str, ...],
    query: str = "",
    filters: IssueFilters | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    count_cap: int | None = None,
) -> IssuePage[dict[str, Any]]:
    """`issue_search` with each issue on the page as a dict of its `fields` (Issue columns),
    read with `QuerySet.values`: the same issues, and no model object made (for the API)."""
    found = _search_page(user, query, filters, sort, page, page_size, count_cap)
    if not found.items:
        return _with_items(found, [])
    rows = Issue.objects.filter(pk__in=found.items).order_by().values("pk", *fields)
    by_id = {row.pop("pk"): row for row in rows}
    return _with_items(found, [by_id[pk] for pk in found.items if pk in by_id])
