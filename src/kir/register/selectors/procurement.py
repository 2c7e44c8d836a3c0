"""The procurement check (seed option 3(a)): is anything known about what we are about to buy?

A Party pastes or picks device models, model + firmware, or DMCs and sees every issue on the
register (published, resolved, closed, and withdrawn ones marked as such) that touches them. An
item touches an issue through an affected product that is one of its device versions, or a DMC
that contains one of them; a DMC item also touches issues naming any of its member versions.

The whole check costs a fixed handful of queries however many items are checked, and answers
per item the number of touching issues and one page of them (`offset`, `limit`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db import connection
from django.utils import timezone

from kir.catalogue.models import DMC, DeviceVersion
from kir.identifiers import (
    IdentifierError,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)
from kir.register.models import AffectedProduct, Issue, IssueState, RootCauseStatus
from kir.register.selectors.issues import public_states_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User

MAX_PROCUREMENT_ITEMS = 500
_DMC = re.compile(r"^DMC-[0-9A-F]{12}$")
_SEPARATORS = re.compile(r"[\s/,;]+")
_FIRMWARE_WORDS = frozenset({"fw", "firmware"})
LINE_FORMAT = (
    "expected MANUFACTURER MODEL (4 and 8 hex digits), optionally followed by fw FIRMWARE "
    "(8 hex digits), or a DMC identifier (DMC- and 12 hex digits)"
)

ItemKind = Literal["model", "firmware", "dmc"]


@dataclass(frozen=True)
class ProcurementItem:
    """A model (any firmware), a model at one firmware version, or a DMC; ids normalised."""

    kind: ItemKind
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    dmc: str = ""

    @property
    def label(self) -> str:
        if self.kind == "dmc":
            return self.dmc
        label = f"{self.manufacturer}/{self.model}"
        return f"{label}/{self.firmware}" if self.firmware else label


def procurement_item(
    *, manufacturer: str = "", model: str = "", firmware: str = "", dmc: str = ""
) -> ProcurementItem:
    """An item from separate fields; IdentifierError (a ValueError) names the bad field."""
    if dmc.strip():
        identifier = dmc.strip().upper()
        if not _DMC.match(identifier):
            raise IdentifierError(f"DMC identifier: expected DMC- and 12 hex digits, got {dmc!r}")
        return ProcurementItem(kind="dmc", dmc=identifier)
    manufacturer_id = normalise_manufacturer_id(manufacturer)
    model_id = normalise_model_id(model)
    if not firmware.strip():
        return ProcurementItem(kind="model", manufacturer=manufacturer_id, model=model_id)
    return ProcurementItem(
        kind="firmware",
        manufacturer=manufacturer_id,
        model=model_id,
        firmware=normalise_firmware_version(firmware),
    )


def procurement_item_for_version(version: DeviceVersion) -> ProcurementItem:
    """An item for a device version picked from the catalogue (its model at its firmware)."""
    model = version.device_model
    return ProcurementItem(
        kind="firmware",
        manufacturer=model.manufacturer.identifier,
        model=model.model_id,
        firmware=version.firmware_version,
    )


@dataclass(frozen=True)
class ProcurementLineError:
    line: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.text!r}): {self.message}"


def parse_procurement_line(text: str) -> ProcurementItem:
    """One pasted line: "1A2B 00012345", "1A2B/00012345 fw 01020304", "DMC-0123456789AB"."""
    stripped = text.strip()
    if stripped.upper().startswith("DMC-"):
        return procurement_item(dmc=stripped)
    tokens = [token for token in _SEPARATORS.split(stripped) if token]
    if len(tokens) == 4 and tokens[2].lower() in _FIRMWARE_WORDS:
        del tokens[2]
    if len(tokens) not in (2, 3):
        raise IdentifierError(LINE_FORMAT)
    firmware = tokens[2] if len(tokens) == 3 else ""
    return procurement_item(manufacturer=tokens[0], model=tokens[1], firmware=firmware)


def parse_procurement_text(
    text: str,
) -> tuple[list[ProcurementItem], list[ProcurementLineError]]:
    """Items of a pasted list, one per line (blank and # lines skipped), and each bad line's error.

    Duplicates are checked once. Lines beyond MAX_PROCUREMENT_ITEMS items are refused, not cut
    silently.
    """
    items: dict[ProcurementItem, None] = {}
    errors: list[ProcurementLineError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = parse_procurement_line(line)
        except IdentifierError as error:
            errors.append(ProcurementLineError(number, line.strip(), str(error)))
            continue
        if item not in items and len(items) >= MAX_PROCUREMENT_ITEMS:
            message = f"too many items: at most {MAX_PROCUREMENT_ITEMS} are checked at once"
            errors.append(ProcurementLineError(number, line.strip(), message))
            continue
        items.setdefault(item, None)
    return list(items), errors


@dataclass
class ProcurementMatch:
    """An issue touching the item, with the affected-product rows through which it does."""

    issue: Issue
    products: list[AffectedProduct] = field(default_factory=list)

    @property
    def withdrawn(self) -> bool:
        return self.issue.state == IssueState.WITHDRAWN

    @property
    def disputed(self) -> bool:
        return self.issue.is_disputed


@dataclass
class ProcurementResult:
    item: ProcurementItem
    # False when the catalogue has no such model, version or DMC: "nothing known" would mislead.
    in_catalogue: bool
    # One page of the issues touching the item, and how many there are in all.
    matches: list[ProcurementMatch]
    total: int = 0
    offset: int = 0

    @property
    def more(self) -> int:
        """How many touching issues come after this page."""
        return max(0, self.total - self.offset - len(self.matches))


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


# The issue fields a procurement result shows; the long texts stay in the database.
_LONG_TEXTS = ("summary", "description", "impact_rationale")
# Matches answered per item unless the caller asks for another page size. A 1-10 line check of
# popular models can touch hundreds of issues; the total says how many there are, and `offset`
# pages through them.
PROCUREMENT_PAGE_SIZE = 20
MAX_PROCUREMENT_PAGE_SIZE = 500

# (affected product id, issue id, device version id, DMC id, status): one narrow row per product.
_ProductRow = tuple[int, int, int | None, int | None, str]


def _among(column: str, values: Collection[Any], array_type: str) -> tuple[str, list[Any]]:
    """`column` among `values` in plain SQL: one typed array parameter on PostgreSQL (a list of
    thousands of literals costs it more to plan than to run; untyped, small ids would arrive as
    smallint[] and keep it off the covering indexes), placeholders on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{array_type}[])", [sorted(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", sorted(values)


def _register_rows(
    user: User | AnonymousUser, versions: set[int], dmcs: set[int]
) -> tuple[list[_ProductRow], dict[int, int]]:
    """Affected-product rows naming `versions` or `dmcs` whose issue is on the register and
    visible to `user` (`public_states_for`), as narrow tuples, with each such issue's rank in the
    display order: newest publication first (never-published issues last), then oldest issue
    first.

    One statement in plain SQL, the same on both engines. A product names a device version or a
    DMC, never both (a check constraint), so the two lookups are disjoint and go through their
    own index, from which PostgreSQL reads them alone (register migration 0007); each row then
    joins its issue by id, whose state and publication date an index also holds (0006), and the
    database ranks the issues. As one OR over both columns it read every product's table row; as
    an ORM queryset it cost more to build than to run. Nothing is made into a model object: a
    dense check names thousands of rows, and only one page of them per item is shown.
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
            condition, condition_params = _among(column, ids, "bigint")
            arms.append(f"SELECT id, issue_id, {named}, status FROM {product} WHERE {condition}")
            params += condition_params
    visible, visible_params = _among("i.state", states, "text")
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
        for pk, issue_id, version_id, dmc_id, status, position in cursor.fetchall():
            rows.append((pk, issue_id, version_id, dmc_id, status))
            rank[issue_id] = position
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
            if row[2] is not None:
                grouped.by_version[row[2]].append(row)
            else:
                grouped.by_dmc[row[3]].append(row)  # type: ignore[index]
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
        touching[row[1]].append(row)
    page = sorted(touching, key=order)[offset : offset + limit]
    return _ItemPage(len(touching), {issue_id: sorted(touching[issue_id]) for issue_id in page})


def _page_products(ids: set[int], issues: dict[int, Issue]) -> dict[int, AffectedProduct]:
    """The page's affected products with their issue, device version (model, manufacturer) and
    DMC attached. The catalogue entries are read by id, each once: joining them to the products
    made PostgreSQL hash the whole catalogue for a page of a few hundred rows."""
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

    def rows(self) -> list[_ProductRow]:
        pages = self.pages.values()
        return [row for page in pages for rows in page.products.values() for row in rows]


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


def procurement_check(
    *,
    user: User | AnonymousUser,
    items: list[ProcurementItem],
    offset: int = 0,
    limit: int = PROCUREMENT_PAGE_SIZE,
) -> list[ProcurementResult]:
    """For each item, in order, the register issues visible to `user` that touch it: their
    number (`total`) and one page of them, newest publication first, from `offset`.

    Issues come with their list fields; summary, description and impact rationale are deferred.
    Only the page's issues and affected products (with their catalogue entries) are read whole,
    so the cost follows the page, not how many issues a popular model has.
    """
    check = _check(user, items, offset, limit)
    issues = Issue.objects.defer(*_LONG_TEXTS).in_bulk(check.issue_ids())
    products = _page_products({row[0] for row in check.rows()}, issues)
    return [
        ProcurementResult(
            item=item,
            in_catalogue=check.in_catalogue(item),
            # An issue or product deleted since the rows were read is left out, not an error.
            matches=[
                ProcurementMatch(
                    issues[issue_id], [products[row[0]] for row in rows if row[0] in products]
                )
                for issue_id, rows in check.pages[item].products.items()
                if issue_id in issues
            ],
            total=check.pages[item].total,
            offset=check.offset,
        )
        for item in items
    ]


@dataclass(frozen=True)
class ProcurementRow:
    """An issue touching an item, as plain values: what the API answers for it."""

    human_id: str
    title: str
    state: str
    disputed: bool
    withdrawn: bool
    published_at: datetime | None
    # (MANUFACTURER/MODEL/FIRMWARE or DMC identifier, product status) of each affected product
    # through which the issue touches the item.
    products: list[tuple[str, str]]


@dataclass(frozen=True)
class ProcurementRowsResult:
    item: ProcurementItem
    in_catalogue: bool
    matches: list[ProcurementRow]
    total: int
    offset: int

    @property
    def more(self) -> int:
        return max(0, self.total - self.offset - len(self.matches))


def _page_issue_values(
    user: User | AnonymousUser, ids: set[int]
) -> dict[int, tuple[str, str, str, str, datetime | None]]:
    """Human id, title, state, root-cause status and publication date of the issues on the
    pages, read again through visibility: an issue gone from view since the rows were read is
    left out."""
    states = public_states_for(user)
    if not ids or not states:
        return {}
    among, among_params = _among("id", ids, "bigint")
    visible, visible_params = _among("state", states, "text")
    sql = (
        "SELECT id, human_id, title, state, root_cause_status, published_at "
        f"FROM {Issue._meta.db_table} WHERE {among} AND {visible}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*among_params, *visible_params])
        rows = cursor.fetchall()
    # A plain cursor skips the ORM's converters: SQLite gives the stored UTC time naive.
    return {
        pk: (human_id, title, state, root_cause, _aware(published_at))
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
) -> list[ProcurementRowsResult]:
    """`procurement_check` as plain values (for the API): the same items, totals and pages of the
    same visible issues, with only the fields the API answers, and no model object made."""
    check = _check(user, items, offset, limit)
    issues = _page_issue_values(user, check.issue_ids())
    # Every row of a page names one of its item's versions or DMCs, which the catalogue reads
    # of the check labelled.
    versions, dmcs = check.labels.versions, check.labels.dmcs

    def match(issue_id: int, rows: list[_ProductRow]) -> ProcurementRow:
        human_id, title, state, root_cause, published_at = issues[issue_id]
        return ProcurementRow(
            human_id=human_id,
            title=title,
            state=state,
            disputed=root_cause == RootCauseStatus.DISPUTED,
            withdrawn=state == IssueState.WITHDRAWN,
            published_at=published_at,
            products=[
                (versions[row[2]] if row[2] is not None else dmcs[row[3]], row[4])  # type: ignore[index]
                for row in rows
            ],
        )

    return [
        ProcurementRowsResult(
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
