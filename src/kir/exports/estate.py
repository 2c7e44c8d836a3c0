"""The estate check: every published issue touching a supplier's estate, with the installations
at stake per issue. Reads only; saving an estate is estate_services.py.

The procurement check's rule: each estate line is a model + firmware item, touched by issues
naming its device version or a DMC holding it; a line within a DMC is touched by issues naming
its device version or that DMC, not by issues naming other DMCs its version belongs to.
Withdrawn issues are left out: nothing is at stake in them. The check of a whole estate is one
set-based statement through the visibility module's `public_states_for`
(register/selectors/estate_touching.py); `estate_matches`, one issue against a saved estate,
reads the catalogue targets (selectors/procurement_touching.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.http import Http404

from kir.exports.estate_input import EstateLine
from kir.exports.models import SavedEstate, SavedEstateLine
from kir.register.models import Issue, IssueState
from kir.register.selectors.estate_touching import estate_touching
from kir.register.selectors.procurement import ProcurementProduct
from kir.register.selectors.procurement_touching import ItemTargets, procurement_targets
from kir.register.selectors.visibility import organisation_of
from kir.register.workflow import PUBLIC_STATES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from kir.accounts.models import User


class LineLike(Protocol):
    manufacturer: str
    model: str
    firmware: str
    dmc: str


@dataclass
class EstateIssue:
    """A published issue touching the estate: the lines it touches and what is at stake."""

    issue_id: int
    human_id: str
    title: str
    state: str
    disputed: bool
    published_at: datetime | None
    lines: list[EstateLine] = field(default_factory=list)
    products: dict[str, ProcurementProduct] = field(default_factory=dict)
    # Installations at stake: the counts of the touched lines that gave one; and how many
    # touched lines gave none. Counted once: the sort and every answer read them.
    installations: int = field(init=False)
    lines_without_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.installations = sum(line.installations or 0 for line in self.lines)
        self.lines_without_count = sum(1 for line in self.lines if line.installations is None)


@dataclass(frozen=True)
class EstateCheck:
    issues: list[EstateIssue]
    # Lines whose device version is not in the catalogue: "nothing known" would mislead.
    not_in_catalogue: list[EstateLine]
    lines: int
    installations: int


def _line_dmcs(line: LineLike, target: ItemTargets) -> frozenset[int] | set[int]:
    """The DMCs through which issues touch a line: any holding its version, or its own only."""
    if not line.dmc:
        return target.dmcs
    return {pk for pk in target.dmcs if target.dmc_identifiers[pk] == line.dmc}


def estate_check(*, user: User | AnonymousUser, lines: list[EstateLine]) -> EstateCheck:
    """Every visible, not withdrawn, register issue touching the lines: most installations at
    stake first, then newest publication first."""
    with _collector_paused():
        return _estate_check(user, lines)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a check builds its ~150k small objects (for
    5,000 lines on 20,000 issues), none of them in a cycle: on the data of benchmarks/exports.py
    the selector's rows and the check's issues took 0.9-1.2 s of CPU with it on, 0.5-0.6 s off.
    Whatever does hold a cycle is collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _estate_check(user: User | AnonymousUser, lines: list[EstateLine]) -> EstateCheck:
    found = estate_touching(user=user, lines=[line.key for line in lines])
    issues = [
        EstateIssue(
            touching.issue_id,
            touching.human_id,
            touching.title,
            touching.state,
            touching.disputed,
            touching.published_at,
            [lines[position] for position in touching.line_positions],
            # One product per label: the last by id, where versions differing only in
            # hardware give several.
            {product.label: product for product in touching.products},
        )
        for touching in found.issues
    ]
    # Stable: issues at stake alike keep the selector's order, newest publication first.
    issues.sort(key=lambda issue: -issue.installations)
    missing = [line for index, line in enumerate(lines) if index not in found.in_catalogue]
    total = sum(line.installations or 0 for line in lines)
    return EstateCheck(issues, missing, len(lines), total)


def estate_matches(*, estate: SavedEstate, issue: Issue) -> list[SavedEstateLine]:
    """The saved estate's lines that `issue` touches, by the estate check's rules; none for an
    issue not on the published register or withdrawn. The caller (the "my estate"
    subscription) decides who is told; every member of a Party sees published issues."""
    if issue.state not in PUBLIC_STATES or issue.state == IssueState.WITHDRAWN:
        return []
    saved = list(estate.lines.all())
    lines = {line.pk: _as_line(line) for line in saved}
    targets = procurement_targets(list({line.item for line in lines.values()}))
    named = issue.products.values_list("device_version_id", "dmc_id")
    versions = {version for version, _ in named if version}
    dmcs = {dmc for _, dmc in named if dmc}
    matched = []
    for line in saved:
        target = targets[lines[line.pk].item]
        if target.versions & versions or _line_dmcs(line, target) & dmcs:
            matched.append(line)
    return matched


def _as_line(saved: SavedEstateLine) -> EstateLine:
    return EstateLine(
        saved.manufacturer, saved.model, saved.firmware, saved.dmc, saved.installations
    )


def saved_estate_lines(estate: SavedEstate) -> list[EstateLine]:
    return [_as_line(line) for line in estate.lines.all()]


def saved_estates_for(*, user: User | AnonymousUser) -> QuerySet[SavedEstate]:
    """The estates saved by the user's organisation: no one else's, whatever the role."""
    organisation = organisation_of(user)
    if organisation is None:
        return SavedEstate.objects.none()
    return SavedEstate.objects.filter(organisation=organisation)


def saved_estate_get(*, user: User | AnonymousUser, estate_id: int) -> SavedEstate:
    """One of the organisation's estates, or Http404 as for a missing one."""
    estate = saved_estates_for(user=user).filter(pk=estate_id).first()
    if estate is None:
        raise Http404("No such estate.")
    return estate
