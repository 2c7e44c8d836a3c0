from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from kir.tracker.engine import stats


def test_it_computes_the_rate_ratio_by_hand():
    # 10 events over 100 installation-days against 20 over 400: 0.1 / 0.05 = 2.
    assert stats.rate_ratio(10, 100, 20, 400)[0] == pytest.approx(2.0)
    assert np.isinf(stats.rate_ratio(3, 10, 0, 10)[0])


def test_it_gives_the_conditional_binomial_interval():
    # Given 30 events, 10 in the cell: Clopper-Pearson for p = 10/30, then RR = p/(1-p) * 400/100.
    low, high = stats.rate_ratio_ci(10, 100, 20, 400, 0.95)
    p_low = scipy_stats.beta.ppf(0.025, 10, 21)
    p_high = scipy_stats.beta.ppf(0.975, 11, 20)
    assert low[0] == pytest.approx(p_low / (1 - p_low) * 4)
    assert high[0] == pytest.approx(p_high / (1 - p_high) * 4)
    assert low[0] < 2.0 < high[0]
    # The same bounds from the F-distribution form of Clopper-Pearson (x = 10 of n = 30).
    f_low = scipy_stats.f.ppf(0.025, 2 * 10, 2 * 21)
    f_high = scipy_stats.f.ppf(0.975, 2 * 11, 2 * 20)
    p_low_f = 1 / (1 + 21 / (10 * f_low))
    p_high_f = 1 / (1 + 20 / (11 * f_high))
    assert low[0] == pytest.approx(p_low_f / (1 - p_low_f) * 4)
    assert high[0] == pytest.approx(p_high_f / (1 - p_high_f) * 4)


def test_it_bounds_the_interval_at_the_edges():
    low, high = stats.rate_ratio_ci(0, 100, 20, 400)
    assert low[0] == 0.0 and np.isfinite(high[0])
    low, high = stats.rate_ratio_ci(5, 100, 0, 400)
    assert low[0] > 0 and np.isinf(high[0])


def test_it_tests_for_excess_one_sided():
    # P(X >= 10) for X ~ Binomial(30, 100/500): by hand with the binomial tail.
    expected = sum(scipy_stats.binom.pmf(k, 30, 0.2) for k in range(10, 31))
    assert stats.rate_excess_p(10, 100, 20, 400)[0] == pytest.approx(expected)
    assert stats.rate_excess_p(0, 100, 20, 400)[0] == 1.0


def test_it_tests_prevalence_with_fisher_by_hand():
    # 5 of 10 affected against 0 of 10: C(10,5)/C(20,5) = 252/15504.
    assert stats.prevalence_excess_p(5, 10, 0, 10)[0] == pytest.approx(252 / 15504)


def test_it_adjusts_q_values_by_benjamini_hochberg_by_hand():
    q = stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.20])


def test_it_writes_no_infinity_into_json():
    assert stats.finite_or_none(float("inf")) is None
    assert stats.finite_or_none(float("nan")) is None
    assert stats.finite_or_none(1.234567) == 1.2346


def test_it_agrees_with_scipy_stats_over_many_random_cases():
    # stats.py calls scipy.special directly; scipy.stats is the reference it must match.
    rng = np.random.default_rng(7)
    s1, s0 = rng.integers(1, 400, 500), rng.integers(0, 40_000, 500)
    e1, e0 = rng.integers(1, 5_000, 500), rng.integers(1, 500_000, 500)
    share = e1 / (e1 + e0)
    assert stats.rate_excess_p(s1, e1, s0, e0) == pytest.approx(
        scipy_stats.binom.sf(s1 - 1, s1 + s0, share), rel=1e-9, abs=1e-300
    )
    low, high = stats.rate_ratio_ci(s1, e1, s0, e0, 0.9)
    expected_low = scipy_stats.beta.ppf(0.05, s1, s0 + 1)
    assert low == pytest.approx(expected_low / (1 - expected_low) * e0 / e1, rel=1e-9)
    has_base = s0 > 0
    expected_high = scipy_stats.beta.ppf(0.95, s1[has_base] + 1, s0[has_base])
    assert high[has_base] == pytest.approx(
        expected_high / (1 - expected_high) * e0[has_base] / e1[has_base], rel=1e-9
    )
    p = rng.random(300) ** 3
    assert stats.benjamini_hochberg(p) == pytest.approx(
        scipy_stats.false_discovery_control(p, method="bh")
    )


def test_it_finds_the_poisson_threshold_by_hand_and_against_scipy():
    # Mean 1: P(X >= 4) = 0.019, P(X >= 5) = 0.00366; so at tail 0.01 the threshold is 5.
    assert stats.poisson_threshold([1.0], 0.01).tolist() == [5]
    # A near-zero mean still needs two alerts: one is never unusual.
    assert stats.poisson_threshold([0.0, 1e-9], 0.01).tolist() == [2, 2]
    means = np.asarray([0.05, 0.3, 2.0, 7.5, 40.0, 310.0])
    expected = np.maximum(scipy_stats.poisson.isf(0.01, means) + 1, 2)
    assert stats.poisson_threshold(means, 0.01).tolist() == expected.astype(int).tolist()
