"""Searching the register: the visible issues matching a query and filters, in order, a page at a
time. What is visible is selectors/visibility.py's answer; what matches is selectors/filters.py's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db.models import QuerySet

from kir.register.models import Issue
from kir.register.selectors.filters import (
    DEFAULT_SORT,
    RELEVANCE,
    SORT_ALIASES,
    SORTS,
    IssueFilters,
    filters_q,
    text_search_q,
)
from kir.register.selectors.visibility import issues_visible_to, products_prefetch
from kir.search.index import search_rank
from kir.search.suggest import suggest_query

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# A search finding fewer issues than this is offered a "did you mean", when one finds more.
FEW_RESULTS = 3


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
    # The query with its misspelt words corrected, when the search found few issues and the
    # corrected one finds some (`did_you_mean`).
    did_you_mean: str | None = None

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
    few = total < FEW_RESULTS and query.strip()
    return IssuePage(
        items=ids,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / page_size)),
        page_size=page_size,
        total_is_estimate=is_estimate,
        did_you_mean=did_you_mean(user=user, query=query, filters=filters) if few else None,
    )


def _with_items(page: IssuePage[int], items: list[ItemT]) -> IssuePage[ItemT]:
    return IssuePage(
        items=items,
        total=page.total,
        page=page.page,
        pages=page.pages,
        page_size=page.page_size,
        total_is_estimate=page.total_is_estimate,
        did_you_mean=page.did_you_mean,
    )


def did_you_mean(
    *, user: User | AnonymousUser, query: str, filters: IssueFilters | None = None
) -> str | None:
    """The query with its unknown words replaced by the nearest words of the issues `user` may
    see, if that finds any issue with the same filters; otherwise None.

    The vocabulary is filtered through the visibility rule (`issues_visible_to`), so a word that
    only a hidden issue holds is never suggested, nor is a suggestion that finds only hidden ones.
    """
    visible = issues_visible_to(user=user)
    suggestion = suggest_query(query, visible=visible)
    if suggestion is None:
        return None
    # The list's own filters over the same visible issues (read once: a manufacturer's
    # visibility costs a query), unordered: only whether one exists matters.
    found = visible.filter(text_search_q(suggestion))
    if filters is not None:
        found = found.filter(filters_q(filters))
    return suggestion if found.exists() else None


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
    (LIMIT/OFFSET). With it, one query: the ordered ids up to the cap (see `_page_ids`), so a
    broad text search stops counting at the cap. `count_cap` bounds
    the count: beyond it (or beyond the requested page) `total` is a lower bound and
    `total_is_estimate` is set. Only the page's issues are then read whole; `with_products`
    prefetches each one's affected products with their catalogue entries.
    """
    found = _search_page(user, query, filters, sort, page, page_size, count_cap)
    # The ids passed every filter above; re-applying them here would only repeat the search.
    page_issues = Issue.objects.select_related("reporter_organisation", "coordinator_organisation")
    if with_products:
        page_issues = page_issues.prefetch_related(products_prefetch())
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
