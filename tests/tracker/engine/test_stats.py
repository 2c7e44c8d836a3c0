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
