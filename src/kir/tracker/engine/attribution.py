"""Attribution: which component, or combination of components, the excess follows.

Within one region and code, a component explains the flagged DMCs holding it when the excess
follows it wherever it is installed: the DMCs holding it are, pooled, above the rest of the region
and none of them is clearly normal. Two components explain a combination-only problem when the DMCs
holding both are above the rest while those holding either one without the other are not. What
neither explains stays a finding about that one DMC. One component over twenty DMCs is one finding.
"""

from __future__ import annotations

import math
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


def _component_index(
    table: CellTable, cells: IntArray, dmcs: dict[int, Dmc]
) -> tuple[list[frozenset[Component]], dict[Component, IntArray]]:
    """Each cell's components, and for each component the positions in `cells` holding it.

    Every code of a region has the same DMC list, so the index is built once per list.
    """
    keys = table.dmc_key[cells]
    cache_key = keys.tobytes()
    if cache_key not in table.component_index:
        members = [dmcs[k].members for k in keys.tolist()]
        at: dict[Component, list[int]] = {}
        for position, parts in enumerate(members):
            for component in parts:
                at.setdefault(component, []).append(position)
        positions = {c: np.asarray(p, dtype=np.int64) for c, p in at.items()}
        table.component_index[cache_key] = (members, positions)
    found: tuple[list[frozenset[Component]], dict[Component, IntArray]]
    found = table.component_index[cache_key]
    return found


class _Region:
    """The cells of one region and code, with the components of each cell's DMC."""

    def __init__(
        self,
        table: CellTable,
        parts: dict[int, frozenset[Component]],
        component_cells: dict[Component, IntArray],
        rules: Rules,
    ):
        self.table, self.rules = table, rules
        self.parts, self.component_cells = parts, component_cells
        # As sets only for the components attribution asks about: building them all costs more.
        self._holding: dict[Component, set[int]] = {}
        self._total: tuple[int, int] | None = None
        self._follows: dict[frozenset[int], bool] = {}

    @classmethod
    def of(cls, table: CellTable, cells: IntArray, dmcs: dict[int, Dmc], rules: Rules) -> _Region:
        members, positions = _component_index(table, cells, dmcs)
        parts = dict(zip(cells.tolist(), members, strict=True))
        return cls(table, parts, {c: cells[at] for c, at in positions.items()}, rules)

    def without(self, cells: set[int]) -> _Region:
        """The same region less some cells, derived from this one's index, not rebuilt."""
        gone = np.fromiter(cells, dtype=np.int64, count=len(cells))
        held = {c: h[~np.isin(h, gone)] for c, h in self.component_cells.items()}
        parts = {i: p for i, p in self.parts.items() if i not in cells}
        return _Region(self.table, parts, {c: h for c, h in held.items() if len(h)}, self.rules)

    def _held_by(self, component: Component) -> set[int]:
        if component not in self._holding:
            held = self.component_cells.get(component)
            self._holding[component] = set() if held is None else set(held.tolist())
        return self._holding[component]

    def holding(self, *components: Component) -> set[int]:
        """The cells holding all `components` (not to be changed: one component's is shared)."""
        if len(components) == 1:
            return self._held_by(components[0])
        sets = [self._held_by(c) for c in components]
        return set.intersection(*sets) if sets else set()

    def _sums(self, cells: set[int]) -> tuple[int, int]:
        index = np.fromiter(cells, dtype=np.int64, count=len(cells))
        return int(self.table.capped[index].sum()), int(self.table.installations[index].sum())

    def _totals(self) -> tuple[int, int]:
        if self._total is None:
            self._total = self._sums(set(self.parts))
        return self._total

    def elevated(self, cells: set[int]) -> bool:
        """Pooled, these cells beat the rest of the region by min_rate_ratio, significantly."""
        if not cells or len(cells) == len(self.parts):
            return False
        (s1, n1), (s_all, n_all) = self._sums(cells), self._totals()
        s0, n0 = s_all - s1, n_all - n1
        # The ratio in plain floats (the same IEEE arithmetic as stats.rate_ratio, without its
        # array overhead): most candidates stop here, before the costlier exact test.
        ratio = (s1 / n1) / (s0 / n0) if s0 else (math.inf if s1 else math.nan)
        if not ratio >= self.rules.min_rate_ratio:
            return False
        return bool(stats.rate_excess_p(s1, n1, s0, n0)[0] <= self.rules.alpha)

    def any_clearly_normal(self, cells: set[int]) -> bool:
        """Some cell's interval rules out min_rate_ratio against the cells outside `cells`.

        All cells in one vectorised call: this runs for every candidate component and pair.
        """
        index = np.fromiter(cells, dtype=np.int64, count=len(cells))
        (s_in, n_in), (s_all, n_all) = self._sums(cells), self._totals()
        s0, n0 = s_all - s_in, n_all - n_in
        if n0 <= 0:
            return False
        _low, high = stats.rate_ratio_ci(
            self.table.capped[index],
            self.table.installations[index],
            s0,
            n0,
            self.rules.confidence,
        )
        return bool((high < self.rules.min_rate_ratio).any())

    def follows(self, cells: set[int]) -> bool:
        key = frozenset(cells)
        if key not in self._follows:
            self._follows[key] = self.elevated(cells) and not self.any_clearly_normal(cells)
        return self._follows[key]

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
        screen is Bonferroni-corrected over the components tried, all tested in one call.
        """
        groups = [h for h in self.component_cells.values() if len(h) < len(self.parts)]
        if not groups:
            return set()
        s_all, n_all = self._totals()
        # Every component's sums in one pass: its cells laid end to end, summed per run.
        flat = np.concatenate(groups)
        starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
        s1, n1, affected = (
            np.add.reduceat(values[flat], starts).astype(np.float64)
            for values in (self.table.capped, self.table.installations, self.table.affected)
        )
        ratio = stats.rate_ratio(s1, n1, s_all - s1, n_all - n1)
        p = stats.rate_excess_p(s1, n1, s_all - s1, n_all - n1)
        alpha = self.rules.alpha / len(groups)
        keep = (
            (affected >= self.rules.min_affected_installations)
            & (np.nan_to_num(ratio, nan=0.0) >= self.rules.min_rate_ratio)
            & (p <= alpha)
        )
        kept = [g[self.table.sup[g] > 0] for g, k in zip(groups, keep, strict=True) if k]
        return {int(i) for g in kept for i in g}


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


def _pair_explains(region: _Region, first: Component, second: Component) -> set[int] | None:
    """The DMCs holding both, when the excess needs both; None otherwise."""
    both = region.holding(first, second)
    only_first = region.holding(first) - both
    only_second = region.holding(second) - both
    if not only_first or not only_second or not region.follows(both):
        return None
    if region.elevated(only_first) or region.elevated(only_second):
        return None
    return both


def _pairs(region: _Region, flagged: set[int]) -> list[Attribution]:
    found: list[Attribution] = []
    pairs = {pair for cell in flagged for pair in combinations(sorted(region.parts[cell]), 2)}
    options = []
    for first, second in sorted(pairs):
        both = _pair_explains(region, first, second)
        if both is not None:
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
    region = _Region.of(table, cells, dmcs, rules)
    seeds = set(flagged) | region.screened()
    found = _components(region, seeds)
    # What a component explains leaves the picture: a component often installed with it must
    # not look guilty by association, so screening starts again without those DMCs.
    explained = {cell for a in found for cell in a.members}
    if len(explained) == len(region.parts):
        return found
    rest = region.without(explained) if explained else region
    seeds = (set(flagged) & set(rest.parts)) | rest.screened()
    found += _pairs(rest, seeds)
    # A DMC alone is a finding only when its own test flagged it; screening only seeds groups.
    for cell in sorted(seeds & set(flagged)):
        found.append(Attribution("dmc", tuple(sorted(rest.parts[cell])), (cell,)))
    return found
