"""The region's typical rate that decides when an installation counts as affected."""

from __future__ import annotations

import duckdb
import pytest

from kir.tracker.engine import sql_cells


def _rates(installations: dict[int, int], capped: dict[int, int]) -> float:
    con = duckdb.connect()
    con.execute("CREATE TABLE installation_dmc (region VARCHAR, dmc_key INTEGER)")
    con.execute(
        "CREATE TABLE inst_sup (region VARCHAR, dmc_key INTEGER, code VARCHAR, superfluous BIGINT)"
    )
    for dmc, count in installations.items():
        con.executemany("INSERT INTO installation_dmc VALUES ('north', ?)", [[dmc]] * count)
    for dmc, sup in capped.items():
        con.execute("INSERT INTO inst_sup VALUES ('north', ?, '8F35', ?)", [dmc, sup])
    [(region, code, typical)] = con.execute(sql_cells.typical_rates(cap=1000)).fetchall()
    assert (region, code) == ("north", "8F35")
    return float(typical)


def test_the_typical_rate_is_the_installation_weighted_median_by_hand():
    # Rates: DMC 1 0/60 = 0, DMC 2 30/30 = 1, DMC 3 200/10 = 20. Installations in rate order
    # reach 60 of 100 at rate 0: half the region is at 0, whatever the problem DMC does.
    assert _rates({1: 60, 2: 30, 3: 10}, {2: 30, 3: 200}) == 0.0
    # With DMC 1 smaller, half (50 of 100) is first reached at DMC 2's rate: 20/40 reach 60.
    assert _rates({1: 20, 2: 40, 3: 40}, {2: 40, 3: 400}) == pytest.approx(1.0)
    # Exactly half at the lowest rate: that rate is the median (first rate reaching half).
    assert _rates({1: 50, 2: 50}, {1: 50, 2: 100}) == pytest.approx(1.0)


def test_a_problem_dmc_does_not_raise_the_bar_it_is_measured_against():
    quiet = _rates({1: 500, 2: 400, 3: 100}, {1: 250, 2: 200})
    loud = _rates({1: 500, 2: 400, 3: 100}, {1: 250, 2: 200, 3: 90_000})
    assert quiet == loud == pytest.approx(0.5)
