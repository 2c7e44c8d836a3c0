"""Statistics on aggregate counts, vectorised over numpy arrays (one element per test).

Rates compare a cell (s1 events over e1 installation-days) with its baseline (s0 over e0). Given
the total s1 + s0, s1 is binomial with p = e1*RR / (e1*RR + e0): that gives an exact one-sided test
of RR = 1 and an exact (Clopper-Pearson) interval for RR, with no normal approximation for the
small counts that matter most.

The binomial and beta functions come from scipy.special, not scipy.stats: the same numbers
(scipy.stats calls them underneath) without the per-call overhead of scipy's distribution
objects, which attribution pays thousands of times per run, and without importing scipy.stats
(a third of a second) until Fisher's test needs it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]


def _arrays(*values: object) -> list[Array]:
    return [np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in values]


def rate_ratio(s1: object, e1: object, s0: object, e0: object) -> Array:
    """(s1/e1) / (s0/e0); inf when the baseline has no events, nan when neither has."""
    a1, b1, a0, b0 = _arrays(s1, e1, s0, e0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((a1 / b1) / (a0 / b0), dtype=np.float64)


def rate_ratio_ci(
    s1: object, e1: object, s0: object, e0: object, confidence: float = 0.95
) -> tuple[Array, Array]:
    a1, b1, a0, b0 = _arrays(s1, e1, s0, e0)
    total = a1 + a0
    tail = (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # Quantiles of Beta(a, b): the inverse of the regularised incomplete beta function.
        p_low = np.where(a1 > 0, special.betaincinv(a1, total - a1 + 1, tail), 0.0)
        p_high = np.where(a0 > 0, special.betaincinv(a1 + 1, total - a1, 1 - tail), 1.0)
        odds = b0 / b1
        low = np.where(p_low < 1, p_low / (1 - p_low) * odds, np.inf)
        high = np.where(p_high < 1, p_high / (1 - p_high) * odds, np.inf)
    return low, high


def rate_excess_p(s1: object, e1: object, s0: object, e0: object) -> Array:
    """One-sided P(X >= s1) for X ~ Binomial(s1 + s0, e1 / (e1 + e0)): no excess under H0."""
    a1, b1, a0, b0 = _arrays(s1, e1, s0, e0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(b1 + b0 > 0, b1 / (b1 + b0), 1.0)
    # bdtrc(k, n, p) = P(X > k); counts as integers, as the function expects them.
    p = special.bdtrc(_counts(a1) - 1, _counts(a1 + a0), share)
    return np.where(a1 > 0, p, 1.0)


def _counts(values: Array) -> NDArray[np.int64]:
    return np.rint(values).astype(np.int64)


def prevalence_excess_p(a1: object, n1: object, a0: object, n0: object) -> Array:
    """One-sided Fisher exact test: more of this group's installations affected than the rest's."""
    from scipy.stats import hypergeom  # imported on first use: see the module docstring

    x1, m1, x0, m0 = _arrays(a1, n1, a0, n0)
    p = hypergeom.sf(x1 - 1, m1 + m0, x1 + x0, m1)
    return np.where(x1 > 0, np.clip(p, 0.0, 1.0), 1.0)


def benjamini_hochberg(p_values: object) -> Array:
    p = np.atleast_1d(np.asarray(p_values, dtype=np.float64))
    if p.size == 0:
        return p
    # q_(i) = min over j >= i of p_(j) * m / j, over the p-values in ascending order.
    order = np.argsort(p, kind="stable")
    scaled = np.clip(p[order], 0.0, 1.0) * p.size / np.arange(1, p.size + 1)
    q = np.empty_like(p)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def poisson_threshold(mean: object, tail: float, minimum: int = 2) -> NDArray[np.int64]:
    """For each mean m, the smallest t >= minimum with P(Poisson(m) >= t) <= tail."""
    m = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    t = np.full(m.shape, minimum, dtype=np.int64)
    over = special.pdtrc(t - 1, m) > tail  # pdtrc(k, m) = P(X > k)
    while over.any():
        t[over] += 1
        over[over] = special.pdtrc(t[over] - 1, m[over]) > tail
    return t


def finite_or_none(value: float, digits: int = 4) -> float | None:
    """JSON has no inf or nan: an unbounded or undefined figure is null."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)
