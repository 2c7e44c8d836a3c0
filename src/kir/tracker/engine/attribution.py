"""Attribution: the smallest set of components the excess follows.

Within one region and code, a component explains the flagged DMCs holding it when the excess
follows it wherever it is installed: the DMCs holding it are, pooled, above the rest of the region
and beyond the natural spread, none of them is clearly normal, and the excess is spread over them,
not carried by one. A set of two, three (up to max_components) components explains a problem that
needs them together when the DMCs holding all of them follow it while those holding all but any
one of them are not elevated. Sizes are tried smallest first; what a size explains leaves the
picture before the next. What no set explains stays a finding about that one DMC. One component
over twenty DMCs is one finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from kir.identifiers import Component
from kir.tracker.engine import stats, variation
from kir.tracker.engine.cells import CellTable, IntArray, homogeneity, natural_p_values
from kir.tracker.engine.estate import Dmc
from kir.tracker.engine.rules import Rules


@dataclass(frozen=True)
class Attribution:
    kind: str  # "component", "combination" or "dmc"
    components: tuple[Component, ...]
    members: tuple[int, ...]  # cell indices, one per DMC covered
    # Candidate sets of this size tried in the region and code: the finding's pooled p-value is
    # multiplied by it (Bonferroni), since the search kept the best-looking of them.
    tried: int = 1


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
        self.base = self  # the region before any cells were explained and taken out
        # As sets only for the components attribution asks about: building them all costs more.
        self._holding: dict[Component, set[int]] = {}
        self._together: dict[tuple[Component, ...], set[int]] = {}
        self._total: tuple[int, int] | None = None
        self._follows: dict[frozenset[int], bool] = {}
        # Whether a set of cells is elevated does not depend on which cells were taken out of
        # the region since, so the region and every region derived from it share the answers.
        self._elevated: dict[frozenset[int], bool] = {}
        first = next(iter(parts), None)
        self.spread = table.spreads[int(table.group_id[first if first is not None else 0])]

    @classmethod
    def of(cls, table: CellTable, cells: IntArray, dmcs: dict[int, Dmc], rules: Rules) -> _Region:
        members, positions = _component_index(table, cells, dmcs)
        parts = dict(zip(cells.tolist(), members, strict=True))
        return cls(table, parts, {c: cells[at] for c, at in positions.items()}, rules)

    def without(self, cells: set[int]) -> _Region:
        """The same region less some cells, derived from this one's index, not rebuilt."""
        # A mask over the run's cells: far cheaper than np.isin once per component.
        kept = np.ones(len(self.table), dtype=bool)
        kept[np.fromiter(cells, dtype=np.int64, count=len(cells))] = False
        held = {c: h[kept[h]] for c, h in self.component_cells.items()}
        parts = {i: p for i, p in self.parts.items() if i not in cells}
        rest = _Region(self.table, parts, {c: h for c, h in held.items() if len(h)}, self.rules)
        rest.base, rest._elevated = self.base, self._elevated
        return rest

    def _held_by(self, component: Component) -> set[int]:
        if component not in self._holding:
            held = self.component_cells.get(component)
            self._holding[component] = set() if held is None else set(held.tolist())
        return self._holding[component]

    def holding(self, *components: Component) -> set[int]:
        """The cells holding all `components` (not to be changed: one component's is shared)."""
        if len(components) == 1:
            return self._held_by(components[0])
        # Kept: the prefetch and the search ask about the same sets of components.
        if components not in self._together:
            sets = [self._held_by(c) for c in components]
            self._together[components] = set.intersection(*sets) if sets else set()
        return self._together[components]

    def _sums(self, cells: set[int]) -> tuple[int, int]:
        index = np.fromiter(cells, dtype=np.int64, count=len(cells))
        return int(self.table.capped[index].sum()), int(self.table.installations[index].sum())

    def _totals(self) -> tuple[int, int]:
        if self._total is None:
            self._total = self._sums(set(self.parts))
        return self._total

    def elevated(self, cells: Set[int]) -> bool:
        """Pooled, these cells beat their typical rate by min_rate_ratio and lie beyond the
        natural spread of healthy DMCs, significantly.

        Against the typical rate, not the rest of the region: where several problems share a
        region, the rest is not a healthy baseline."""
        if not cells or len(cells) == len(self.parts):
            return False
        key = frozenset(cells)
        if key not in self._elevated:
            self.prefetch([key])
        return self._elevated[key]

    def prefetch(self, sets: Iterable[Set[int]]) -> None:
        """Answer `elevated` for many sets in one vectorised call (natural_p_values): asked one
        at a time, the 4,400 to 6,300 sets of a 1 M alert run cost about 1 ms each."""
        wanted = {frozenset(c) for c in sets if c} - self._elevated.keys()
        if not wanted:
            return
        keys = list(wanted)
        groups = [np.asarray(sorted(k), dtype=np.int64) for k in keys]
        p, capped, typical = natural_p_values(
            self.table, groups, self.spread, self.rules, refine=False
        )
        # The ratio in plain terms as well: the test alone passes a tiny excess over many DMCs.
        ok = (capped >= self.rules.min_rate_ratio * typical) & (p <= self.rules.alpha)
        self._elevated.update(zip(keys, ok.tolist(), strict=True))

    def homogeneous(self, cells: set[int]) -> bool:
        """The excess is spread over the cells, not carried by one or a few: without the cell
        holding most of it, the rest still shows min_rate_ratio over their typical rate, and
        cells holding more than half the installations show it each."""
        if len(cells) < 2:
            return True
        found = homogeneity(self.table, cells, self.rules)
        return bool(
            found["ratio_without_largest"] >= self.rules.min_rate_ratio
            and found["installations_above_typical"] > 0.5
        )

    def any_clearly_normal(self, cells: set[int]) -> bool:
        """Some cell's interval rules out min_rate_ratio against the cells outside `cells`.

        All cells in one vectorised call: this runs for every candidate component and pair.
        """
        index = np.fromiter(cells, dtype=np.int64, count=len(cells))
        (s_in, n_in), (s_all, n_all) = self._sums(cells), self._totals()
        s0, n0 = s_all - s_in, n_all - n_in
        if n0 <= 0:
            return False
        # An upper bound is never below its point estimate (the binomial's median is its mean
        # here), so only cells whose own ratio is under min_rate_ratio can rule it out: the
        # inverse beta function then runs on a few cells, not all (it was 2 s of 14 at 5 M).
        capped, installations = self.table.capped[index], self.table.installations[index]
        ratio = stats.rate_ratio(capped, installations, s0, n0)
        low_ratio = ~(ratio >= self.rules.min_rate_ratio * (1 + 1e-9))
        if not low_ratio.any():
            return False
        _low, high = stats.rate_ratio_ci(
            capped[low_ratio], installations[low_ratio], s0, n0, self.rules.confidence
        )
        return bool((high < self.rules.min_rate_ratio).any())

    def follows(self, cells: set[int]) -> bool:
        key = frozenset(cells)
        if key not in self._follows:
            self._follows[key] = (
                self.elevated(cells)
                and not self.any_clearly_normal(cells)
                and self.homogeneous(cells)
            )
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
        # Fisher's test only when the ratio leaves it a say: it costs milliseconds a call.
        if not ratio >= self.rules.min_rate_ratio:
            return False
        return bool(stats.prevalence_excess_p(a1, n1, a0, n0)[0] <= alpha)

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
        table = self.table
        exposure, squared, typical = table.exposures()
        s1, n1, affected, e1, e2, m1 = (
            np.add.reduceat(values[flat], starts).astype(np.float64)
            for values in (
                table.capped,
                table.installations,
                table.affected,
                exposure,
                squared,
                typical,
            )
        )
        ratio = stats.rate_ratio(s1, n1, s_all - s1, n_all - n1)
        p = stats.rate_excess_p(s1, n1, s_all - s1, n_all - n1)
        alpha = self.rules.alpha / len(groups)
        keep = (
            (affected >= self.rules.min_affected_installations)
            & (np.nan_to_num(ratio, nan=0.0) >= self.rules.min_rate_ratio)
            & (p <= alpha)
        )
        if keep.any():
            # Against the natural spread too (the typical dispersion, the pooled spread).
            with np.errstate(divide="ignore", invalid="ignore"):
                log_sd = np.maximum(
                    self.spread.log_sd * np.sqrt(e2 / e1**2), self.rules.variation.min_pooled_log_sd
                )
                natural = variation.excess_p(
                    s1[keep],
                    e1[keep],
                    self.spread.dispersion,
                    np.log(m1[keep] / e1[keep]),
                    log_sd[keep],
                    refine=False,
                )
            keep[keep] = natural <= alpha
        kept = [g[self.table.sup[g] > 0] for g, k in zip(groups, keep, strict=True) if k]
        return {int(i) for g in kept for i in g}


def _components(region: _Region, flagged: set[int]) -> list[Attribution]:
    found: list[Attribution] = []
    remaining = set(flagged)
    candidates = sorted({c for i in flagged for c in region.parts[i]})
    region.prefetch(region.holding(c) for c in candidates)
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
        found.append(Attribution("component", twins, tuple(sorted(holders)), len(candidates)))
        remaining -= holders
    flagged.intersection_update(remaining)
    return found


def _set_explains(region: _Region, components: tuple[Component, ...]) -> set[int] | None:
    """The DMCs holding every component, when the excess needs all of them; None otherwise.

    For each component, the DMCs holding all the others but not it must exist and not be
    elevated (or have been explained by a smaller set's finding already): else a smaller set
    explains the excess, or it is not the set's.
    """
    held = region.holding(*components)
    # Most candidates are not elevated at all: that is the cheap question, so it comes first.
    if not held or not region.elevated(held):
        return None
    for left_out in components:
        others = tuple(c for c in components if c != left_out)
        partial = region.holding(*others) - held
        if not partial:
            # None left: fine if a smaller set's finding explained them, not if none exist.
            base = region.base
            if not base.holding(*others) - base.holding(*components):
                return None
        elif region.follows(partial):
            # Elevated throughout, not just where another problem sits among them.
            return None
    return held if region.follows(held) else None


def _prefetch_sets(region: _Region, candidates: Iterable[tuple[Component, ...]]) -> None:
    """What _set_explains will ask `elevated`, asked in two batches: first of every candidate's
    DMCs, then, for the candidates whose DMCs are elevated, of the DMCs lacking one of them."""
    held = {components: region.holding(*components) for components in candidates}
    region.prefetch(held.values())
    partials = [
        region.holding(*(c for c in components if c != left_out)) - cells
        for components, cells in held.items()
        if region.elevated(cells)
        for left_out in components
    ]
    region.prefetch(partials)


def _sets(region: _Region, flagged: set[int], size: int) -> tuple[list[Attribution], _Region]:
    """The sets of `size` components that explain flagged DMCs, most DMCs covered first, and
    the region without the DMCs they explain.

    Each accepted set's DMCs leave the region before the next option is checked again: a pair
    whose DMCs are elevated partly by another problem explains nothing once that one's DMCs
    are gone.
    """
    found: list[Attribution] = []
    candidates = {s for cell in flagged for s in combinations(sorted(region.parts[cell]), size)}
    _prefetch_sets(region, candidates)
    options = []
    for components in sorted(candidates):
        held = _set_explains(region, components)
        if held is not None:
            options.append((len(held & flagged), components, held))
    options.sort(key=lambda item: (-item[0], item[1]))
    for _count, components, first_held in options:
        if not first_held & flagged:
            continue
        held = _set_explains(region, components) if found else first_held
        if held is None or not held & flagged:
            continue
        # Sets holding exactly the same DMCs cannot be told apart: name them together.
        named = {c for _n, other, h in options if h == first_held for c in other}
        found.append(
            Attribution("combination", tuple(sorted(named)), tuple(sorted(held)), len(candidates))
        )
        flagged -= held
        region = region.without(held)
    return found, region


def attribute(
    table: CellTable, cells: IntArray, flagged: set[int], dmcs: dict[int, Dmc], rules: Rules
) -> list[Attribution]:
    """Attributions for the flagged cells of one region and code."""
    region = _Region.of(table, cells, dmcs, rules)
    seeds = set(flagged) | region.screened()
    found = _components(region, seeds)
    for size in range(2, rules.max_components + 1):
        # What a smaller set explains leaves the picture: a component often installed with it
        # must not look guilty by association, so screening starts again without those DMCs.
        explained = {cell for a in found for cell in a.members}
        if len(explained) == len(region.parts):
            return found
        region = region.without(explained) if explained else region
        seeds = (set(flagged) & set(region.parts)) | region.screened()
        more, region = _sets(region, seeds, size)
        found += more
    explained = {cell for a in found for cell in a.members}
    # A DMC alone is a finding only when its own test flagged it; screening only seeds groups.
    for cell in sorted(set(flagged) - explained):
        parts = tuple(sorted(dmcs[int(table.dmc_key[cell])].members))
        found.append(Attribution("dmc", parts, (cell,)))
    return found
