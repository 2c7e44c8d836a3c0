"""The natural-variation model on its own: estimates from simulated DMC rates, and its tests."""

from __future__ import annotations

import numpy as np
import pytest

from kir.tracker.engine import variation
from kir.tracker.engine.rules import load_rules

RULES = load_rules().variation


def _region(rng, dmcs=300, sigma=0.5, raised=0.0, ratio=20.0, composition=None):
    """Healthy DMCs with lognormal rates around 0.02 a day; `raised` of them `ratio` times."""
    installations = rng.integers(20, 400, dmcs).astype(np.float64)
    exposure = installations * 14
    log_rate = np.log(0.02) + rng.normal(0, sigma, dmcs)
    held = rng.random(dmcs) < 0.5
    if composition is not None:
        log_rate += held * composition
    problem = rng.random(dmcs) < raised
    log_rate += problem * np.log(ratio)
    counts = rng.poisson(exposure * np.exp(log_rate)).astype(np.float64)
    return counts, exposure, installations, {"GSME": held}, problem


def _estimate(counts, exposure, installations, design):
    ones = np.ones(len(counts))
    return variation.estimate(counts, exposure, ones, installations, design, RULES)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_estimates_the_spread_of_healthy_dmcs(seed):
    counts, exposure, installations, design, _ = _region(np.random.default_rng(seed))
    spread, log_typical = _estimate(counts, exposure, installations, design)
    assert 0.45 <= spread.log_sd <= 0.7  # an upper estimate of the true 0.5
    assert abs(np.median(log_typical) - np.log(0.02)) < 0.15


def test_it_sees_through_a_majority_of_raised_dmcs():
    """One component in 60% of a region's DMCs must not become the region's typical rate."""
    rng = np.random.default_rng(4)
    counts, exposure, installations, design, problem = _region(rng, raised=0.6)
    spread, log_typical = _estimate(counts, exposure, installations, design)
    assert problem.mean() > 0.5
    ratio = counts / (exposure * np.exp(log_typical))
    assert 0.6 <= np.median(ratio[~problem]) <= 1.5  # the healthy DMCs stay typical
    assert np.median(ratio[problem]) >= 10  # and the raised ones stand out
    assert spread.log_sd < 0.8


def test_it_takes_device_composition_as_natural():
    """DMCs holding a GSME raise twice the code: a term of the typical rate, not a spread."""
    rng = np.random.default_rng(5)
    counts, exposure, installations, design, _ = _region(rng, composition=np.log(2))
    spread, _ = _estimate(counts, exposure, installations, design)
    assert spread.composition["GSME"] == pytest.approx(np.log(2), abs=0.15)
    assert spread.log_sd <= 0.7


def test_a_dmc_inside_the_spread_is_not_significant_however_large():
    """Twice the typical rate on a million installation-days: the exact Poisson test would say
    p = 0; against a spread of 0.5 it is an ordinary healthy DMC."""
    p = variation.excess_p(2 * 0.02 * 1e6, 1e6, 1.0, np.log(0.02), 0.5)[0]
    assert p > 0.05
    far = variation.excess_p(20 * 0.02 * 1e6, 1e6, 1.0, np.log(0.02), 0.5)[0]
    assert far < 1e-8


def test_the_tail_is_accurate_where_decisions_are_made():
    """The fine grid agrees with a brute-force integral of the lognormal-Poisson tail."""
    from scipy import special, stats

    x, base, mu, sd = 60.0, 1.0, np.log(8.0), 0.5
    eps = np.linspace(-12, 12, 200_001)
    exact = np.trapezoid(
        stats.norm.pdf(eps) * special.gammainc(x, base * np.exp(mu + sd * eps)), eps
    )
    assert variation.excess_p(x, base, 1.0, mu, sd)[0] == pytest.approx(exact, rel=0.02)


def test_a_group_spread_shrinks_with_its_dmcs_and_the_edge_grows_with_the_run():
    assert variation.herfindahl(np.ones(100)) == pytest.approx(0.01)
    assert variation.spread_edge(0.5, 0.05, 100_000) > variation.spread_edge(0.5, 0.05, 100)
