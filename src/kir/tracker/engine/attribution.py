"""Attribution: which component, or combination of components, the excess follows.

Within one region and code, a component explains the flagged DMCs holding it when the excess
follows it wherever it is installed: the DMCs holding it are, pooled, above the rest of the region
and none of them is clearly normal. Two components explain a combination-only problem when the DMCs
holding both are above the rest while those holding either one without the other are not. What
neither explains stays a finding about that one DMC. One component over twenty DMCs is one finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from kir.identifiers import Component
from kir.tracker.engine import stats
from kir.tracker.engine.cells import CellTable, IntArray
from kir.tracker.engine.estate import Dmc
from kir.tracker.engine.rules import Rules


@dataclass(frozen=True)
class Attribution:
    kind: str  # "component", "combination" or "dmc"
    components: tuple[Component, ...]
    members: tuple[int, ...]  # cell indices, one per DMC covered


class _Region:
    """The cells of one region and code, with the components of each cell's DMC."""

    def __init__(self, table: CellTable, cells: IntArray, dmcs: dict[int, Dmc], rules: Rules):
        self.table, self.cells, self.rules = table, cells, rules
        self.parts = {int(i): set(dmcs[int(table.dmc_key[i])].components) for i in cells}
        self.by_component: dict[Component, set[int]] = {}
        for cell, parts in self.parts.items():
            for component in parts:
                self.by_component.setdefault(component, set()).add(cell)

    def holding(self, *components: Component) -> set[int]:
        sets = [self.by_component.get(c, set()) for c in components]
        return set.intersection(*sets) if sets else set()

    def _sums(self, cells: set[int]) -> tuple[int, int]:
        index = np.fromiter(cells, dtype=np.int64, count=len(cells))
        return int(self.table.capped[index].sum()), int(self.table.installations[index].sum())

    def elevated(self, cells: set[int]) -> bool:
        """Pooled, these cells beat the rest of the region by min_rate_ratio, significantly."""
        rest = set(self.parts) - cells
        if not cells or not rest:
            return False
        (s1, n1), (s0, n0) = self._sums(cells), self._sums(rest)
        ratio = stats.rate_ratio(s1, n1, s0, n0)[0]
        p = stats.rate_excess_p(s1, n1, s0, n0)[0]
        return bool(ratio >= self.rules.min_rate_ratio and p <= self.rules.alpha)

    def clearly_normal(self, cells: set[int], against: set[int]) -> bool:
        """Pooled, the cells' interval rules out min_rate_ratio against those outside `against`."""
        rest = set(self.parts) - against
        if not cells or not rest:
            return False
        (s1, n1), (s0, n0) = self._sums(cells), self._sums(rest)
        _low, high = stats.rate_ratio_ci(s1, n1, s0, n0, self.rules.confidence)
        return bool(high[0] < self.rules.min_rate_ratio)

    def follows(self, cells: set[int]) -> bool:
        return self.elevated(cells) and not any(self.clearly_normal({i}, cells) for i in cells)

    def more_prevalent(self, cells: set[int], than: set[int], alpha: float) -> bool:
        """A larger share of `cells`' installations is affected than of `than`'s, significantly.

        Installation counts, not alert counts: a few chatty installations make alert counts of
        two subsets differ "significantly" when nothing about the subsets differs.
        """
        if not cells or not than:
            return False
        a1, n1 = self._affected(cells)
        a0, n0 = self._affected(than)
        ratio = stats.rate_ratio(a1, n1, a0, n0)[0]
        p = stats.prevalence_excess_p(a1, n1, a0, n0)[0]
        return bool(ratio >= self.rules.min_rate_ratio and p <= alpha)

    def _affected(self, cells: set[int]) -> tuple[int, int]:
        index = np.fromiter(cells, dtype=np.int64, count=len(cells))
        return int(self.table.affected[index].sum()), int(self.table.installations[index].sum())

    def follows_component(self, component: Component, holders: set[int]) -> bool:
        """The excess follows the component wherever it is, whatever it is installed with.

        For every partner it is installed with, the DMCs holding both must not be more affected
        than those holding the component without the partner: if they are, the partner is part
        of the cause (Bonferroni over the partners tried).
        """
        if not self.follows(holders):
            return False
        partners = {p for i in holders for p in self.parts[i]} - {component}
        alpha = self.rules.alpha / max(len(partners), 1)
        for partner in sorted(partners):
            together = holders & self.holding(partner)
            if self.more_prevalent(together, holders - together, alpha):
                return False
        return True

    def screened(self) -> set[int]:
        """Cells of components that are, pooled, above the rest of the region.

        Small DMCs rarely pass a test on their own; a component over many of them can. The
        screen is Bonferroni-corrected over the components tried.
        """
        found: set[int] = set()
        alpha = self.rules.alpha / max(len(self.by_component), 1)
        for holders in self.by_component.values():
            rest = set(self.parts) - holders
            if not rest:
                continue
            (s1, n1), (s0, n0) = self._sums(holders), self._sums(rest)
            affected = int(self.table.affected[sorted(holders)].sum())
            ratio = stats.rate_ratio(s1, n1, s0, n0)[0]
            p = stats.rate_excess_p(s1, n1, s0, n0)[0]
            if (
                affected >= self.rules.min_affected_installations
                and ratio >= (self.rules.min_rate_ratio)
                and p <= alpha
            ):
                found |= {i for i in holders if self.table.sup[i] > 0}
        return found


def _components(region: _Region, flagged: set[int]) -> list[Attribution]:
    found: list[Attribution] = []
    remaining = set(flagged)
    candidates = sorted({c for i in flagged for c in region.parts[i]})
    scored = []
    for component in candidates:
        holders = region.holding(component)
        covered = holders & flagged
        if len(covered) >= 2 and region.follows_component(component, holders):
            scored.append((len(covered), component, holders))
    scored.sort(key=lambda item: (-item[0], item[1]))
    for _count, _component, holders in scored:
        if not holders & remaining:
            continue
        # Components always installed together cannot be told apart: name them together.
        twins = tuple(sorted(c for _n, c, h in scored if h == holders))
        found.append(Attribution("component", twins, tuple(sorted(holders))))
        remaining -= holders
    flagged.intersection_update(remaining)
    return found


def _pairs(region: _Region, flagged: set[int]) -> list[Attribution]:
    found: list[Attribution] = []
    options = []
    for cell in sorted(flagged):
        for first, second in combinations(sorted(region.parts[cell]), 2):
            both = region.holding(first, second)
            only_first = region.holding(first) - both
            only_second = region.holding(second) - both
            if not only_first or not only_second or not region.follows(both):
                continue
            if region.elevated(only_first) or region.elevated(only_second):
                continue
            options.append((len(both & flagged), (first, second), both))
    options.sort(key=lambda item: (-item[0], item[1]))
    for _count, pair, both in options:
        if both & flagged:
            found.append(Attribution("combination", pair, tuple(sorted(both))))
            flagged -= both
    return found


def attribute(
    table: CellTable, cells: IntArray, flagged: set[int], dmcs: dict[int, Dmc], rules: Rules
) -> list[Attribution]:
    """Attributions for the flagged cells of one region and code."""
    region = _Region(table, cells, dmcs, rules)
    seeds = set(flagged) | region.screened()
    found = _components(region, seeds)
    # What a component explains leaves the picture: a component often installed with it must
    # not look guilty by association, so screening starts again without those DMCs.
    explained = {cell for a in found for cell in a.members}
    left = np.asarray([i for i in cells if int(i) not in explained], dtype=np.int64)
    if not len(left):
        return found
    rest = _Region(table, left, dmcs, rules)
    seeds = (set(flagged) & set(rest.parts)) | rest.screened()
    found += _pairs(rest, seeds)
    for cell in sorted(seeds):
        found.append(Attribution("dmc", tuple(sorted(rest.parts[cell])), (cell,)))
    return found
