"""The estate check: every published issue touching a supplier's estate, with the installations
at stake per issue. Reads only; saving an estate is estate_services.py.

One pipeline with the procurement check: each estate line is a model + firmware item, matched by
`procurement_touching` (the catalogue reads, then one SQL statement through the visibility
module's `public_states_for`). A line within a DMC is touched by issues naming its device version
or that DMC, not by issues naming other DMCs its version belongs to. Withdrawn issues are left
out: nothing is at stake in them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.http import Http404

from kir.exports.estate_input import EstateLine
from kir.exports.models import SavedEstate, SavedEstateLine
from kir.register.models import Issue, IssueState, RootCauseStatus
from kir.register.selectors.procurement import ProcurementProduct
from kir.register.selectors.procurement_touching import (
    ItemTargets,
    procurement_targets,
    procurement_touching,
)
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

    @property
    def installations(self) -> int:
        """Installations at stake: the counts of the touched lines that gave one."""
        return sum(line.installations or 0 for line in self.lines)

    @property
    def lines_without_count(self) -> int:
        return sum(1 for line in self.lines if line.installations is None)


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
    found = procurement_touching(user=user, items=[line.item for line in lines])
    touched: dict[int, dict[int, None]] = defaultdict(dict)  # issue -> line indexes, in order
    through: dict[int, set[int]] = defaultdict(set)  # issue -> product ids
    for index, line in enumerate(lines):
        target = found.targets[line.item]
        named = [found.by_version.get(pk, ()) for pk in target.versions]
        named += [found.by_dmc.get(pk, ()) for pk in _line_dmcs(line, target)]
        for rows in named:
            for product_id, issue_id in rows:
                touched[issue_id][index] = None
                through[issue_id].add(product_id)
    issues = []
    for issue_id, indexes in touched.items():
        values = found.issues[issue_id]
        if values.state == IssueState.WITHDRAWN:
            continue
        issues.append(
            EstateIssue(
                issue_id,
                values.human_id,
                values.title,
                values.state,
                values.root_cause_status == RootCauseStatus.DISPUTED,
                values.published_at,
                [lines[index] for index in indexes],
                {found.products[pk].label: found.products[pk] for pk in sorted(through[issue_id])},
            )
        )
    issues.sort(key=lambda issue: (-issue.installations, found.rank[issue.issue_id]))
    missing = [line for line in lines if not found.targets[line.item].in_catalogue]
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
