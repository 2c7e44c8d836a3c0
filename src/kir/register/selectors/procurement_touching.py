"""Every register issue touching each item, unpaged: the estate check's use of the procurement
pipeline (selectors/procurement.py).

The same catalogue reads, the same one SQL statement through `public_states_for`, the same
labels; only the paging differs: an estate check sums installations over every touching issue,
so it needs all of them, not one page per item.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kir.register.procurement_input import ProcurementItem
from kir.register.selectors.procurement import (
    ProcurementRow,
    _catalogue_targets,
    _Check,
    _Labels,
    _page_issue_values,
    _register_rows,
    _RowsByProduct,
    procurement_row,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


@dataclass(frozen=True)
class TouchingResult:
    item: ProcurementItem
    in_catalogue: bool
    # Every visible register issue touching the item, newest publication first.
    matches: list[ProcurementRow]


def procurement_touching(
    *, user: User | AnonymousUser, items: list[ProcurementItem]
) -> list[TouchingResult]:
    """For each item, in order, every register issue visible to `user` that touches it, with the
    affected products through which it does. A fixed handful of queries for any number of items."""
    labels = _Labels()
    targets = _catalogue_targets(items, labels)
    rows, rank = _register_rows(
        user,
        {pk for t in targets.values() for pk in t.versions},
        {pk for t in targets.values() for pk in t.dmcs},
    )
    check = _Check(targets, {}, 0, labels)
    issues = _page_issue_values(user, set(rank))
    grouped = _RowsByProduct.of(rows)
    results = []
    for item in items:
        touching = defaultdict(list)
        for row in grouped.naming(targets[item]):
            if row.issue_id in issues:
                touching[row.issue_id].append(row)
        matches = []
        for issue_id in sorted(touching, key=rank.__getitem__):
            products = [check.product(row) for row in sorted(touching[issue_id])]
            matches.append(procurement_row(issue_id, issues[issue_id], products))
        results.append(TouchingResult(item, check.in_catalogue(item), matches))
    return results


@dataclass(frozen=True)
class ItemTargets:
    """The device versions and DMCs (by id) through which an item touches issues."""

    versions: frozenset[int]
    dmcs: frozenset[int]
    dmc_identifiers: dict[int, str]


def procurement_targets(items: list[ProcurementItem]) -> dict[ProcurementItem, ItemTargets]:
    """Each item's catalogue targets, as the check finds them (at most two reads)."""
    labels = _Labels()
    targets = _catalogue_targets(items, labels)
    return {
        item: ItemTargets(
            frozenset(target.versions),
            frozenset(target.dmcs),
            {pk: labels.dmcs[pk] for pk in target.dmcs},
        )
        for item, target in targets.items()
    }
