"""The procurement check (seed option 3(a)): is anything known about what we are about to buy?

A Party pastes or picks device models, model + firmware, or DMCs (procurement_input.py) and sees
every issue on the register (published, resolved, closed, and withdrawn ones marked as such)
that touches them. An item touches an issue through an affected product that is one of its
device versions, or a DMC that contains one of them; a DMC item also touches issues naming any
of its member versions.

One pipeline: the catalogue reads find each item's versions and DMCs, one plain SQL statement
finds the visible products naming them, and `procurement_check_rows` answers per item the number
of touching issues and one page of them as plain values (the API). `procurement_check` (the page)
loads the page's model objects on top of those rows. The whole check costs a fixed handful of
queries however many items are checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from django.db import connection
from django.utils import timezone

from kir.catalogue.models import DMC, DeviceVersion
from kir.register.models import AffectedProduct, Issue, IssueState, RootCauseStatus
from kir.register.procurement_input import ProcurementItem
from kir.register.selectors.visibility import public_states_for
from kir.register.sql import column_among

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User

# Matches answered per item unless the caller asks for another page size. A 1-10 line check of
# popular models can touch hundreds of issues; the total says how many there are, and `offset`
# pages through them.
PROCUREMENT_PAGE_SIZE = 20
MAX_PROCUREMENT_PAGE_SIZE = 500
# The issue fields the page shows; the long texts stay in the database.
_LONG_TEXTS = ("summary", "description", "impact_rationale")

MatchT = TypeVar("MatchT")


@dataclass(frozen=True)
class ProcurementResult(Generic[MatchT]):
    item: ProcurementItem
    # False when the catalogue has no such model, version or DMC: "nothing known" would mislead.
    in_catalogue: bool
    # One page of the issues touching the item, and how many there are in all.
    matches: list[MatchT]
    total: int = 0
    offset: int = 0

    @property
    def more(self) -> int:
        """How many touching issues come after this page."""
        return max(0, self.total - self.offset - len(self.matches))


class ProcurementProduct(NamedTuple):
    """An affected product through which an issue touches an item."""

    product_id: int
    # MANUFACTURER/MODEL/FIRMWARE of its device version, or its DMC identifier.
    label: str
    status: str


@dataclass(frozen=True)
class ProcurementRow:
    """An issue touching an item, as plain values: what the API answers for it."""

    issue_id: int
    human_id: str
    title: str
    state: str
    disputed: bool
    withdrawn: bool
    published_at: datetime | None
    products: list[ProcurementProduct]


@dataclass
class ProcurementMatch:
    """An issue touching the item, with the affected products through which it does, as model
    objects with their catalogue entries (for the page)."""

    issue: Issue
    products: list[AffectedProduct] = field(default_factory=list)

    @property
    def withdrawn(self) -> bool:
        return self.issue.state == IssueState.WITHDRAWN

    @property
    def disputed(self) -> bool:
        return self.issue.is_disputed


ProcurementRowsResult = ProcurementResult[ProcurementRow]


@dataclass
class _Targets:
    versions: set[int] = field(default_factory=set)
    dmcs: set[int] = field(default_factory=set)


@dataclass
class _Labels:
    """MANUFACTURER/MODEL/FIRMWARE by device version id and identifier by DMC id, of every
    version and DMC the catalogue reads of a check return: enough to label its pages."""

    versions: dict[int, str] = field(default_factory=dict)
    dmcs: dict[int, str] = field(default_factory=dict)


def _catalogue_targets(
    items: list[ProcurementItem], labels: _Labels
) -> dict[ProcurementItem, _Targets]:
    """Each item's device versions and DMCs: a model or firmware item its matching versions and
    the DMCs containing them, a DMC item the DMC and its members. At most two reads, one for the
    model and firmware items, one for the DMC items, each with the memberships beside it; they
    also label every version and DMC they return."""
    targets: dict[ProcurementItem, _Targets] = {item: _Targets() for item in items}
    _add_version_targets(targets, labels)
    _add_dmc_targets(targets, labels)
    return targets


def _add_version_targets(targets: dict[ProcurementItem, _Targets], labels: _Labels) -> None:
    by_model: dict[tuple[str, str], list[ProcurementItem]] = defaultdict(list)
    for item in targets:
        if item.kind != "dmc":
            by_model[(item.manufacturer, item.model)].append(item)
    if not by_model:
        return
    # Every version of the wanted model ids, matched to the items here: one IN lookup instead of
    # an OR of (manufacturer, model) pairs, which cost more to build as a queryset than to run.
    # A model id another manufacturer also uses only brings a few rows that match no item.
    # Unordered: the catalogue's default order would only add a sort.
    rows = (
        DeviceVersion.objects.filter(device_model__model_id__in={model for _, model in by_model})
        .order_by()
        .values_list(
            "pk",
            "device_model__manufacturer__identifier",
            "device_model__model_id",
            "firmware_version",
            "dmcs__pk",
            "dmcs__identifier",
        )
    )
    for pk, manufacturer, model, firmware, dmc_id, dmc_identifier in rows:
        items_of_model = by_model.get((manufacturer, model), ())
        matching = [item for item in items_of_model if item.firmware in ("", firmware)]
        if not matching:
            continue
        labels.versions[pk] = f"{manufacturer}/{model}/{firmware}"
        if dmc_id is not None:
            labels.dmcs[dmc_id] = dmc_identifier
        for item in matching:
            targets[item].versions.add(pk)
            if dmc_id is not None:
                targets[item].dmcs.add(dmc_id)


def _add_dmc_targets(targets: dict[ProcurementItem, _Targets], labels: _Labels) -> None:
    dmc_items = {item.dmc: item for item in targets if item.kind == "dmc"}
    if not dmc_items:
        return
    rows = (
        DMC.objects.filter(identifier__in=dmc_items)
        .order_by()
        .values_list(
            "pk",
            "identifier",
            "members__pk",
            "members__device_model__manufacturer__identifier",
            "members__device_model__model_id",
            "members__firmware_version",
        )
    )
    for pk, identifier, member_id, manufacturer, model, firmware in rows:
        target = targets[dmc_items[identifier]]
        target.dmcs.add(pk)
        labels.dmcs[pk] = identifier
        if member_id is not None:
            target.versions.add(member_id)
            labels.versions[member_id] = f"{manufacturer}/{model}/{firmware}"


class _ProductRow(NamedTuple):
    """One affected product on the register naming a checked version or DMC."""

    product_id: int
    issue_id: int
    device_version_id: int | None
    dmc_id: int | None
    status: str


def _register_rows(
    user: User | AnonymousUser, versions: set[int], dmcs: set[int]
) -> tuple[list[_ProductRow], dict[int, int]]:
    """Affected-product rows naming `versions` or `dmcs` whose issue is on the register and
    visible to `user` (`public_states_for`), with each such issue's rank in the display order:
    newest publication first (never-published issues last), then oldest issue first.

    One statement in plain SQL, the same on both engines, read as narrow rows: a dense check
    names thousands of products and only one page of them per item is shown. A product names a
    device version or a DMC, never both (a check constraint), so the two lookups are disjoint
    and each goes through its own covering index (register migrations 0006 and 0007).
    """
    states = public_states_for(user)
    if not states or not (versions or dmcs):
        return [], {}
    product, issue = AffectedProduct._meta.db_table, Issue._meta.db_table
    # Each lookup gives the other column as NULL, which it is in every row found: read from the
    # row, it would send PostgreSQL from the index to the table.
    lookups = (
        ("device_version_id", versions, "device_version_id, CAST(NULL AS BIGINT) AS dmc_id"),
        ("dmc_id", dmcs, "CAST(NULL AS BIGINT) AS device_version_id, dmc_id"),
    )
    arms, params = [], []
    for column, ids, named in lookups:
        if ids:
            condition, condition_params = column_among(column, ids, "bigint")
            arms.append(f"SELECT id, issue_id, {named}, status FROM {product} WHERE {condition}")
            params += condition_params
    visible, visible_params = column_among("i.state", states, "text")
    sql = (
        "SELECT p.id, p.issue_id, p.device_version_id, p.dmc_id, p.status, "
        "DENSE_RANK() OVER (ORDER BY i.published_at DESC NULLS LAST, p.issue_id) "
        f"FROM ({' UNION ALL '.join(arms)}) p JOIN {issue} i ON i.id = p.issue_id "
        f"WHERE {visible}"
    )
    rows: list[_ProductRow] = []
    rank: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *visible_params])
        for *values, position in cursor.fetchall():
            row = _ProductRow(*values)
            rows.append(row)
            rank[row.issue_id] = position
    return rows, rank


@dataclass
class _ItemPage:
    total: int
    # Issue id -> the item's affected-product rows on that issue, in id order; display order.
    products: dict[int, list[_ProductRow]]


@dataclass
class _RowsByProduct:
    """The register's product rows of a check, by the device version or the DMC each names."""

    by_version: dict[int, list[_ProductRow]] = field(default_factory=lambda: defaultdict(list))
    by_dmc: dict[int, list[_ProductRow]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, rows: list[_ProductRow]) -> _RowsByProduct:
        grouped = cls()
        for row in rows:
            if row.device_version_id is not None:
                grouped.by_version[row.device_version_id].append(row)
            elif row.dmc_id is not None:
                grouped.by_dmc[row.dmc_id].append(row)
        return grouped

    def naming(self, target: _Targets) -> list[_ProductRow]:
        """The rows naming one of the target's versions or DMCs (each row names exactly one)."""
        empty: list[_ProductRow] = []
        return [
            *(row for pk in target.versions for row in self.by_version.get(pk, empty)),
            *(row for pk in target.dmcs for row in self.by_dmc.get(pk, empty)),
        ]


def _item_page(
    target: _Targets,
    rows: _RowsByProduct,
    order: Callable[[int], int],
    offset: int,
    limit: int,
) -> _ItemPage:
    touching: dict[int, list[_ProductRow]] = defaultdict(list)
    for row in rows.naming(target):
        touching[row.issue_id].append(row)
    page = sorted(touching, key=order)[offset : offset + limit]
    return _ItemPage(len(touching), {issue_id: sorted(touching[issue_id]) for issue_id in page})


@dataclass
class _Check:
    """Each item's catalogue targets and page of touching issues, before anything is read whole."""

    targets: dict[ProcurementItem, _Targets]
    pages: dict[ProcurementItem, _ItemPage]
    offset: int
    labels: _Labels

    def issue_ids(self) -> set[int]:
        return {issue_id for page in self.pages.values() for issue_id in page.products}

    def in_catalogue(self, item: ProcurementItem) -> bool:
        return bool(self.targets[item].versions or self.targets[item].dmcs)

    def product(self, row: _ProductRow) -> ProcurementProduct:
        # Every row of a page names one of its item's versions or DMCs, which the catalogue
        # reads of the check labelled.
        if row.device_version_id is not None:
            label = self.labels.versions[row.device_version_id]
        else:
            label = self.labels.dmcs[row.dmc_id]  # type: ignore[index]
        return ProcurementProduct(row.product_id, label, row.status)


def _check(
    user: User | AnonymousUser, items: list[ProcurementItem], offset: int, limit: int
) -> _Check:
    offset = max(0, offset)
    limit = min(max(1, limit), MAX_PROCUREMENT_PAGE_SIZE)
    labels = _Labels()
    targets = _catalogue_targets(items, labels)
    rows, rank = _register_rows(
        user,
        {pk for t in targets.values() for pk in t.versions},
        {pk for t in targets.values() for pk in t.dmcs},
    )
    order, grouped = rank.__getitem__, _RowsByProduct.of(rows)
    pages = {item: _item_page(targets[item], grouped, order, offset, limit) for item in items}
    return _Check(targets, pages, offset, labels)


class _IssueValues(NamedTuple):
    human_id: str
    title: str
    state: str
    root_cause_status: str
    published_at: datetime | None


def _page_issue_values(user: User | AnonymousUser, ids: set[int]) -> dict[int, _IssueValues]:
    """The listed fields of the issues on the pages, read again through visibility: an issue
    gone from view since the rows were read is left out."""
    states = public_states_for(user)
    if not ids or not states:
        return {}
    among, among_params = column_among("id", ids, "bigint")
    visible, visible_params = column_among("state", states, "text")
    sql = (
        "SELECT id, human_id, title, state, root_cause_status, published_at "
        f"FROM {Issue._meta.db_table} WHERE {among} AND {visible}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*among_params, *visible_params])
        rows = cursor.fetchall()
    # A plain cursor skips the ORM's converters: SQLite gives the stored UTC time naive.
    return {
        pk: _IssueValues(human_id, title, state, root_cause, _aware(published_at))
        for pk, human_id, title, state, root_cause, published_at in rows
    }


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, UTC)


def procurement_check_rows(
    *,
    user: User | AnonymousUser,
    items: list[ProcurementItem],
    offset: int = 0,
    limit: int = PROCUREMENT_PAGE_SIZE,
) -> list[ProcurementResult[ProcurementRow]]:
    """For each item, in order, the register issues visible to `user` that touch it: their
    number (`total`) and one page of them, newest publication first, from `offset`, as plain
    values; no model object is made."""
    check = _check(user, items, offset, limit)
    issues = _page_issue_values(user, check.issue_ids())

    def match(issue_id: int, rows: list[_ProductRow]) -> ProcurementRow:
        issue = issues[issue_id]
        return ProcurementRow(
            issue_id=issue_id,
            human_id=issue.human_id,
            title=issue.title,
            state=issue.state,
            disputed=issue.root_cause_status == RootCauseStatus.DISPUTED,
            withdrawn=issue.state == IssueState.WITHDRAWN,
            published_at=issue.published_at,
            products=[check.product(row) for row in rows],
        )

    return [
        ProcurementResult(
            item=item,
            in_catalogue=check.in_catalogue(item),
            # An issue deleted or withdrawn from view since the rows were read is left out.
            matches=[
                match(issue_id, rows)
                for issue_id, rows in check.pages[item].products.items()
                if issue_id in issues
            ],
            total=check.pages[item].total,
            offset=check.offset,
        )
        for item in items
    ]


def _page_products(ids: set[int], issues: dict[int, Issue]) -> dict[int, AffectedProduct]:
    """The page's affected products with their issue, device version (model, manufacturer) and
    DMC attached. The catalogue entries are read by id, each once, rather than joined to the
    products, which would have the database hash the whole catalogue for one page."""
    products = AffectedProduct.objects.in_bulk(ids)
    versions = DeviceVersion.objects.select_related("device_model__manufacturer").in_bulk(
        {p.device_version_id for p in products.values() if p.device_version_id}
    )
    combinations = DMC.objects.in_bulk({p.dmc_id for p in products.values() if p.dmc_id})
    for product in products.values():
        if product.issue_id in issues:
            product.issue = issues[product.issue_id]
        if product.device_version_id:
            product.device_version = versions[product.device_version_id]
        if product.dmc_id:
            product.dmc = combinations[product.dmc_id]
    return products


def procurement_check(
    *,
    user: User | AnonymousUser,
    items: list[ProcurementItem],
    offset: int = 0,
    limit: int = PROCUREMENT_PAGE_SIZE,
) -> list[ProcurementResult[ProcurementMatch]]:
    """`procurement_check_rows` with the page's issues and affected products (with their
    catalogue entries) loaded as model objects; summary, description and impact rationale are
    deferred. Only the page is read whole, so the cost follows the page, not how many issues a
    popular model has."""
    results = procurement_check_rows(user=user, items=items, offset=offset, limit=limit)
    rows = [match for result in results for match in result.matches]
    issues = Issue.objects.defer(*_LONG_TEXTS).in_bulk({row.issue_id for row in rows})
    product_ids = {product.product_id for row in rows for product in row.products}
    products = _page_products(product_ids, issues)
    return [
        ProcurementResult(
            item=result.item,
            in_catalogue=result.in_catalogue,
            # An issue or product deleted since the rows were read is left out, not an error.
            matches=[
                ProcurementMatch(
                    issues[row.issue_id],
                    [products[p.product_id] for p in row.products if p.product_id in products],
                )
                for row in result.matches
                if row.issue_id in issues
            ],
            total=result.total,
            offset=result.offset,
        )
        for result in results
    ]
