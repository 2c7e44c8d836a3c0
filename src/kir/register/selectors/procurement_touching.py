"""Every register product touching a large set of items, unpaged: the estate check's use of the
procurement pipeline (selectors/procurement.py).

The same catalogue reads, the same one SQL statement through `public_states_for`, the same
labels; only the paging differs. An estate check of thousands of lines sums installations over
every touching issue, so it gets the raw product rows grouped by the version or DMC they name
and aggregates them itself: building a page of matches per line would cost more than the
database work.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kir.register.procurement_input import ProcurementItem
from kir.register.selectors.procurement import (
    ProcurementProduct,
    _catalogue_targets,
    _IssueValues,
    _Labels,
    _page_issue_values,
    _register_rows,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


@dataclass(frozen=True)
class ItemTargets:
    """The device versions and DMCs (by id) through which an item touches issues."""

    versions: frozenset[int]
    dmcs: frozenset[int]
    # Identifier by DMC id, for at least these DMCs.
    dmc_identifiers: dict[int, str]

    @property
    def in_catalogue(self) -> bool:
        return bool(self.versions or self.dmcs)


def procurement_targets(
    items: list[ProcurementItem], labels: _Labels | None = None
) -> dict[ProcurementItem, ItemTargets]:
    """Each item's catalogue targets, as the check finds them (at most two reads)."""
    labels = labels if labels is not None else _Labels()
    targets = _catalogue_targets(items, labels)
    # One identifier table for all items: it holds every DMC of every target.
    return {
        item: ItemTargets(frozenset(target.versions), frozenset(target.dmcs), labels.dmcs)
        for item, target in targets.items()
    }


@dataclass
class TouchingProducts:
    """The visible register products naming any item's version or DMC."""

    targets: dict[ProcurementItem, ItemTargets]
    # (product id, issue id) by the device version or the DMC the product names.
    by_version: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    by_dmc: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    products: dict[int, ProcurementProduct] = field(default_factory=dict)
    # The listed fields of each visible issue, and its rank: newest publication first.
    issues: dict[int, _IssueValues] = field(default_factory=dict)
    rank: dict[int, int] = field(default_factory=dict)


def procurement_touching(
    *, user: User | AnonymousUser, items: list[ProcurementItem]
) -> TouchingProducts:
    """Every visible register product touching the items, with their labels and issues. A fixed
    handful of queries for any number of items."""
    labels = _Labels()
    found = TouchingProducts(procurement_targets(items, labels))
    rows, found.rank = _register_rows(
        user,
        {pk for t in found.targets.values() for pk in t.versions},
        {pk for t in found.targets.values() for pk in t.dmcs},
    )
    found.issues = _page_issue_values(user, set(found.rank))
    for row in rows:
        if row.issue_id not in found.issues:
            continue  # gone from view since the rows were read
        if row.device_version_id is not None:
            found.by_version[row.device_version_id].append((row.product_id, row.issue_id))
            label = labels.versions[row.device_version_id]
        else:
            found.by_dmc[row.dmc_id].append((row.product_id, row.issue_id))  # type: ignore[index]
            label = labels.dmcs[row.dmc_id]  # type: ignore[index]
        found.products[row.product_id] = ProcurementProduct(row.product_id, label, row.status)
    return found
