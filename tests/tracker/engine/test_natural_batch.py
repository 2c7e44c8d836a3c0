"""The batched natural-variation test gives natural_test's figures to the bit, for any groups."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.tracker.engine.cells import CellTable, natural_p_values, natural_test
from kir.tracker.engine.rules import load_rules
from kir.tracker.engine.variation import Spread

RULES = load_rules()


def _table(installations, capped, log_typical, days: int) -> CellTable:
    n = np.asarray(installations, dtype=np.int64)
    c = np.asarray(capped, dtype=np.int64)
    cells = len(n)
    return CellTable(
        group_id=np.zeros(cells, dtype=np.int64),
        group_keys=[("north", "8F35")],
        dmc_key=np.arange(cells, dtype=np.int64),
        installations=n,
        alerts=c,
        sup=c,
        affected=np.zeros(cells, dtype=np.int64),
        capped=c,
        # Between every alert in one installation and alerts spread evenly over all of them.
        capped_sq=np.where(n > 0, np.maximum(c.astype(np.float64) ** 2 / np.maximum(n, 1), c), 0),
        top=c,
        daily=np.zeros((cells, days)),
        days=[date(2026, 1, 1) + timedelta(days=i) for i in range(days)],
        groups={("north", "8F35"): np.arange(cells, dtype=np.int64)},
        region_alerts={"north": int(c.sum())},
        log_typical=np.asarray(log_typical, dtype=np.float64),
    )


@st.composite
def regions(draw):
    cells = draw(st.integers(1, 30))
    size = st.one_of(st.integers(0, 3), st.integers(1, 2_000), st.integers(100_000, 3_000_000))
    installations = draw(st.lists(size, min_size=cells, max_size=cells))
    count = st.one_of(st.just(0), st.integers(1, 50), st.integers(1, 10**9))
    capped = [draw(count) if n else 0 for n in installations]
    rate = st.one_of(st.floats(-12, 3), st.just(-np.inf))
    log_typical = [draw(rate) if n else -np.inf for n in installations]
    members = st.lists(st.integers(0, cells - 1), min_size=1, max_size=cells, unique=True)
    groups = draw(st.lists(members, min_size=1, max_size=12))
    spread = Spread(draw(st.floats(0.05, 1.5)), 0, draw(st.floats(1.0, 8.0)), {})
    return (
        _table(installations, capped, log_typical, draw(st.integers(1, 31))),
        [np.asarray(sorted(g), dtype=np.int64) for g in groups],
        spread,
        draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regions())
def test_batched_natural_test_equals_the_scalar_one(region):
    table, groups, spread, refine = region
    p, capped, typical = natural_p_values(table, groups, spread, RULES, refine=refine)
    days = len(table.days)
    for i, members in enumerate(groups):
        one = natural_test(table, members, spread, RULES, refine=refine)
        assert p[i] == one.p_value  # the same bits, not just close
        assert capped[i] == float(table.capped[members].sum())
        exposure = (table.installations[members] * days).astype(np.float64)
        with np.errstate(over="ignore"):
            assert typical[i] == (exposure * np.exp(table.log_typical[members])).sum()


def test_it_gives_no_excess_for_zero_counts_and_one_dmc():
    table = _table([500, 0, 40], [0, 0, 9_000], [np.log(0.02), -np.inf, np.log(0.02)], 7)
    spread = Spread(0.5, 0, 1.0, {})
    groups = [np.array([0]), np.array([1]), np.array([2]), np.array([0, 2])]
    p, _capped, _typical = natural_p_values(table, groups, spread, RULES)
    assert p[0] == 1.0 and p[1] == 1.0  # no alerts: nothing to test
    assert p[2] < 1e-6 and p[3] < 1e-6  # 9,000 alerts where 5.6 are typical
    assert p.tolist() == [natural_test(table, g, spread, RULES).p_value for g in groups]


def test_it_answers_an_empty_batch():
    table = _table([10], [1], [0.0], 1)
    p, capped, typical = natural_p_values(table, [], Spread(0.5, 0, 1.0, {}), RULES)
    assert len(p) == len(capped) == len(typical) == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.just(float("nan"))),
        min_size=1,
        max_size=60,
    )
)
def test_the_fast_median_is_numpys(values):
    from kir.tracker.engine.variation import _median

    with np.errstate(over="ignore"):  # two huge middle values overflow in both alike
        expected = float(np.median(np.asarray(values)))
        found = _median(np.asarray(values))
    assert found == expected or (np.isnan(found) and np.isnan(expected))
