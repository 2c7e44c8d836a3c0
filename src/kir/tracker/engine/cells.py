"""The cell table: region x alert code x DMC counts, as numpy arrays, and pooled statistics.

A "group" is a set of cells of one region and code (one DMC, or every DMC holding a component);
its baseline is the rest of that region for that code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from kir.tracker.engine import sql_cells, stats
from kir.tracker.engine.connection import create_table
from kir.tracker.engine.rules import Rules

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass
class CellTable:
    group_id: IntArray  # each cell's index into group_keys
    group_keys: list[tuple[str, str]]  # (region, code) of each group
    dmc_key: IntArray
    installations: IntArray
    alerts: IntArray
    sup: IntArray
    affected: IntArray
    capped: IntArray
    top: IntArray
    daily: FloatArray  # cells x days, superfluous alerts per day
    days: list[date]
    groups: dict[tuple[str, str], IntArray]  # (region, code) -> cell indices
    region_alerts: dict[str, int]
    # Attribution's per-DMC-list component index, reused by every code of a region.
    component_index: dict[bytes, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.dmc_key)

    def group_of(self, index: int) -> IntArray:
        return self.groups[self.group_keys[int(self.group_id[index])]]


def load_cells(con: duckdb.DuckDBPyConnection, rules: Rules, days: list[date]) -> CellTable:
    con.execute(sql_cells.installation_superfluous())
    cap = rules.cap_per_installation_day * max(len(days), 1)
    _affected_thresholds(con, cap, rules)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cell AS " + sql_cells.cells(cap, sorted(rules.excluded_codes))
    )
    # Region and code travel as a group number per cell (strings for 700,000 cells cost more
    # than everything else here); the few groups' names come separately.
    found = con.execute(
        "SELECT dense_rank() OVER (ORDER BY region, code) - 1 AS group_id, dmc_key, "
        "installations, alerts, sup, affected, capped, top FROM cell ORDER BY idx"
    ).fetchnumpy()
    group_id, dmc_key, installations, alerts, sup, affected, capped, top = (
        np.asarray(found[name], dtype=np.int64)
        for name in (
            "group_id",
            "dmc_key",
            "installations",
            "alerts",
            "sup",
            "affected",
            "capped",
            "top",
        )
    )
    keys = [(str(r), str(c)) for r, c in con.execute(sql_cells.CELL_GROUPS).fetchall()]
    table = CellTable(
        group_id=group_id,
        group_keys=keys,
        dmc_key=dmc_key,
        installations=installations,
        alerts=alerts,
        sup=sup,
        affected=affected,
        capped=capped,
        top=top,
        daily=np.zeros((len(dmc_key), len(days))),
        days=days,
        groups=_contiguous_groups(group_id, keys),
        region_alerts={r: int(a) for r, a, _ in con.execute(sql_cells.region_traffic()).fetchall()},
    )
    _fill_daily(con, table)
    return table


def _contiguous_groups(
    group_id: IntArray, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], IntArray]:
    """Cell indices per region and code: the cells come ordered by both, so each is a run."""
    if not len(group_id):
        return {}
    starts = np.flatnonzero(np.r_[True, group_id[1:] != group_id[:-1]])
    ends = np.r_[starts[1:], len(group_id)]
    return {
        keys[int(group_id[s])]: np.arange(s, e, dtype=np.int64)
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    }


def _affected_thresholds(con: duckdb.DuckDBPyConnection, cap: int, rules: Rules) -> None:
    """Per region and code, how many superfluous alerts make an installation "affected".

    An occasional repeat happens everywhere, so counting installations with any would call most
    of the estate affected. An installation is affected when its count is unusual for the region:
    at least the smallest t >= 2 with P(Poisson(typical rate) >= t) <= affected_tail, where the
    typical rate is the installation-weighted median of the DMCs' rates, so that problem DMCs
    (a minority) do not raise the bar they are measured against.
    """
    found = con.execute(sql_cells.typical_rates(cap)).fetchall()
    keys = [(region, code) for region, code, _typical in found]
    typical = np.asarray([rate for _r, _c, rate in found], dtype=np.float64)
    thresholds = stats.poisson_threshold(typical, rules.affected_tail)
    create_table(
        con,
        "affected_threshold",
        {
            "region": ("VARCHAR", [k[0] for k in keys]),
            "code": ("VARCHAR", [k[1] for k in keys]),
            "threshold": ("BIGINT", thresholds.astype(np.int64).tolist()),
        },
    )


def _fill_daily(con: duckdb.DuckDBPyConnection, table: CellTable) -> None:
    if not table.days:
        return
    found = con.execute(sql_cells.cell_days(table.days[0].isoformat())).fetchnumpy()
    index, day, sup = (np.asarray(found[k], dtype=np.int64) for k in ("idx", "day_index", "sup"))
    inside = (day >= 0) & (day < len(table.days))
    np.add.at(table.daily, (index[inside], day[inside]), sup[inside])


@dataclass
class GroupStats:
    installations: int
    affected: int
    alerts: int
    sup: int
    capped: int
    top: int
    rest_installations: int
    rest_affected: int
    rest_sup: int
    rest_capped: int
    rate_ratio: float
    raw_rate_ratio: float
    ci_low: float
    ci_high: float
    p_rate: float
    p_prevalence: float
    persistence: float
    excess_per_day: float
    days: int

    @property
    def p_value(self) -> float:
        # Intersection-union test: a finding needs both more alerts and more installations
        # affected than the rest of the region, so the larger p-value is the test's p-value.
        return max(self.p_rate, self.p_prevalence)


def group_stats(table: CellTable, members: IntArray, rules: Rules) -> GroupStats:
    region_cells = table.group_of(int(members[0]))
    rest = np.setdiff1d(region_cells, members)
    n1, n0 = int(table.installations[members].sum()), int(table.installations[rest].sum())
    d = max(len(table.days), 1)
    s1, s0 = int(table.sup[members].sum()), int(table.sup[rest].sum())
    c1, c0 = int(table.capped[members].sum()), int(table.capped[rest].sum())
    a1, a0 = int(table.affected[members].sum()), int(table.affected[rest].sum())
    low, high = stats.rate_ratio_ci(c1, n1 * d, c0, n0 * d, rules.confidence)
    baseline_rate = s0 / (n0 * d) if n0 else 0.0
    return GroupStats(
        installations=n1,
        affected=a1,
        alerts=int(table.alerts[members].sum()),
        sup=s1,
        capped=c1,
        top=int(table.top[members].max()) if len(members) else 0,
        rest_installations=n0,
        rest_affected=a0,
        rest_sup=s0,
        rest_capped=c0,
        rate_ratio=float(stats.rate_ratio(c1, n1, c0, n0)[0]) if n0 else float("nan"),
        raw_rate_ratio=float(stats.rate_ratio(s1, n1, s0, n0)[0]) if n0 else float("nan"),
        ci_low=float(low[0]),
        ci_high=float(high[0]),
        p_rate=float(stats.rate_excess_p(c1, n1, c0, n0)[0]) if n0 else 1.0,
        p_prevalence=float(stats.prevalence_excess_p(a1, n1, a0, n0)[0]) if n0 else 1.0,
        persistence=persistence(table, members, rest, rules),
        excess_per_day=(s1 - baseline_rate * n1 * d) / d,
        days=d,
    )


def persistence(table: CellTable, members: IntArray, rest: IntArray, rules: Rules) -> float:
    """Share of the window's days on which the group's rate beat the rest's by min_rate_ratio."""
    if not table.days:
        return 0.0
    mine, others = table.daily[members].sum(axis=0), table.daily[rest].sum(axis=0)
    n1, n0 = table.installations[members].sum(), table.installations[rest].sum()
    shows = (mine >= rules.min_daily_superfluous) & (
        mine * n0 >= rules.min_rate_ratio * others * n1
    )
    return float(shows.mean())


@dataclass
class CellTests:
    index: IntArray  # the tested cells (those with any superfluous alert)
    rate_ratio: FloatArray
    p_value: FloatArray


def _rest(table: CellTable, values: IntArray) -> IntArray:
    """For each cell, the sum of `values` over the other cells of its region and code."""
    group_id = table.group_id
    totals = np.bincount(group_id, weights=values, minlength=len(table.group_keys))
    return np.asarray(totals[group_id] - values, dtype=np.int64)


def cell_tests(table: CellTable) -> CellTests:
    """Every cell with superfluous alerts against the rest of its region: the run's test family.

    Vectorised, because a national run has tens of thousands of cells.
    """
    tested = np.flatnonzero(table.sup > 0)
    n1, n0 = table.installations, _rest(table, table.installations)
    c1, c0 = table.capped, _rest(table, table.capped)
    a1, a0 = table.affected, _rest(table, table.affected)
    pick = tested
    p_rate = np.where(n0[pick] > 0, stats.rate_excess_p(c1[pick], n1[pick], c0[pick], n0[pick]), 1)
    p_prev = np.where(
        n0[pick] > 0, stats.prevalence_excess_p(a1[pick], n1[pick], a0[pick], n0[pick]), 1
    )
    ratio = stats.rate_ratio(c1[pick], n1[pick], c0[pick], n0[pick]) if len(pick) else np.zeros(0)
    return CellTests(pick, np.asarray(ratio), np.maximum(p_rate, p_prev))
