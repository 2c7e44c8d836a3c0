"""Natural variation between DMCs: what a healthy DMC's rate may be, and tests against it.

The exact Poisson test asks whether a DMC shares the region's rate. No DMC does: usage, siting
and a supplier's configuration put one DMC's rate of a code at half or twice the region's with
no defect anywhere. The model, per region and code (docs/tracker.md, "Natural variation"):

  - each DMC d has its own rate mu * theta_d, with log(theta_d) ~ Normal(0, sigma^2): lognormal
    natural variation around the region's typical rate mu;
  - within a DMC, installations differ and alerts come in bursts, so its capped count c_d has
    variance w_d times its mean (w_d >= 1, measured from its installations' counts);
  - c_d / w_d is then Poisson(E_d * mu * theta_d / w_d) given theta_d, E_d its installation-days.

mu (log of) is the median over the informative DMCs (those expected to have at least
`min_expected` effective alerts) of their log rates, sigma their median absolute deviation less
the part the counts' own noise explains; both ignore a minority of problem DMCs. A cell's p-value
is P(X >= c_d / w_d) with X drawn from the model: a DMC inside the natural spread gets a large
one, however many alerts it has. A group pooling DMCs has a log rate whose natural spread is
sigma^2 times the Herfindahl index of its exposures (the variance of a weighted mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# The Gauss-Hermite rule integrates the lognormal mixture for every tested cell; cells with a
# small p-value (the only ones a decision can rest on) are integrated again on a fine grid, where
# the sharp step of a large count would fall between the rule's few nodes.
_HERMITE_T, _HERMITE_W = np.polynomial.hermite.hermgauss(32)
_FINE = np.linspace(-9.0, 9.0, 721)
_FINE_W = np.exp(-0.5 * _FINE**2) / np.sqrt(2 * np.pi) * (_FINE[1] - _FINE[0])
_REFINE_BELOW = 0.01
_ONE_CALL = 200_000
# The scale of a median absolute deviation for a normal distribution; sigma is taken as the
# estimate times (1 + _UPPER / sqrt(n)), which is at least the true sigma in 78% (8 DMCs) to 93%
# (200 DMCs) of simulated healthy regions. Normal quantiles: -z(0.2), and z(0.2) - z(0.05).
_HALF_NORMAL_MEDIAN = 0.6745
_UPPER = 2.0
_Z20 = 0.8416
_Q05_Q20 = 0.8034
# A device type gets its own term when at least this many informative DMCs hold it and lack it.
_MIN_SIDE = 3
_PRIOR_INSTALLATIONS = 20.0


@dataclass(frozen=True)
class VariationRules:
    default_log_sd: float  # sigma when too few DMCs say what it is
    min_log_sd: float  # sigma is never taken below this
    min_pooled_log_sd: float  # nor a pooled group's spread below this
    min_dmcs: int  # informative DMCs needed to estimate sigma
    min_expected: float  # effective alerts a DMC must expect to be informative
    spread_tail: float  # healthy DMCs stay below the spread's edge but with this probability


@dataclass(frozen=True)
class Spread:
    """The natural variation of one region and code."""

    log_sd: float  # sigma, as used (an upper estimate)
    estimated_from: int  # informative DMCs; 0 when sigma is the default
    dispersion: float  # w of a typical DMC: the least any cell's test uses
    composition: dict[str, float]  # log rate ratio of DMCs holding each device type


def within_dispersion(capped: object, capped_sq: object, installations: object) -> FloatArray:
    """Variance over mean of the installations' capped counts in each cell (1 where unknown)."""
    c, q, n = (
        np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (capped, capped_sq, installations)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = c / n
        variance = (q - c * mean) / (n - 1)
        w = np.where((n >= 2) & (c > 0), variance / mean, 1.0)
    return np.maximum(np.nan_to_num(w, nan=1.0, posinf=1.0), 1.0)


def estimate(
    capped: FloatArray,
    exposure: FloatArray,
    dispersion: FloatArray,
    installations: FloatArray,
    design: dict[str, NDArray[np.bool_]],
    rules: VariationRules,
) -> tuple[Spread, FloatArray]:
    """The spread of one region and code's DMCs, and each DMC's typical log rate.

    Arrays run over the group's cells (exposure > 0); `design` says, per device type, which DMCs
    hold one: a DMC with a PPMID and an IHD raises more "joined SMHAN" alerts than one with an
    IHD alone, and one with neither raises none. That is composition, not a defect, so each type
    held and lacked by enough DMCs gets its own term in the typical rate.
    """
    if float(capped.sum()) <= 0 or float(exposure.sum()) <= 0:
        return Spread(rules.default_log_sd, 0, 1.0, {}), np.full(len(capped), -np.inf)
    terms = {n: h for n, h in design.items() if min(int(h.sum()), int((~h).sum())) >= _MIN_SIDE}
    x = np.column_stack([np.ones(len(capped))] + [t.astype(np.float64) for t in terms.values()])
    coef = _poisson_fit(capped, exposure, x)
    w_typical = float(np.median(dispersion[capped > 0])) if (capped > 0).any() else 1.0
    w = np.maximum(dispersion, w_typical)
    sigma, n = rules.default_log_sd, 0
    n_start = 0
    # Twice: which DMCs are informative depends on the typical rate, which the Poisson start
    # overstates where problem DMCs carry most of a code's traffic.
    for _ in range(2):
        informative = exposure * np.exp(x @ coef) / w >= rules.min_expected
        if int(informative.sum()) < rules.min_dmcs:
            # Too few DMCs to see the spread: the documented default, and a level read from
            # the lower informative DMCs (the Poisson fit follows the problem DMCs wherever they
            # carry most of the traffic).
            sigma, n = rules.default_log_sd, 0
            if n_start == 0:
                coef = _lower_level(capped, exposure, x, coef, informative, sigma)
            break
        c, e = capped[informative], exposure[informative]
        # The estimate uses each DMC's own noise, shrunk towards the typical dispersion (a DMC of
        # two installations says little about its own); its test, the larger of the two.
        size = installations[informative]
        own = (size * dispersion[informative] + _PRIOR_INSTALLATIONS * w_typical) / (
            size + _PRIOR_INSTALLATIONS
        )
        coef, raw, n = _robust_fit(
            np.log((c + 0.5) / e), own / (c + 0.5), x[informative], coef, rules.min_log_sd
        )
        # An upper estimate: a median absolute deviation from few DMCs is often too small.
        sigma = max(raw * (1 + _UPPER / np.sqrt(n)), rules.min_log_sd)
        n_start = n
    composition = {name: float(b) for name, b in zip(terms, coef[1:], strict=True)}
    return Spread(float(sigma), n, w_typical, composition), x @ coef


def _lower_level(
    capped: FloatArray,
    exposure: FloatArray,
    x: FloatArray,
    coef: FloatArray,
    informative: NDArray[np.bool_],
    sigma: float,
) -> FloatArray:
    """The fit's level read from the informative DMCs' lowest fifth of residuals, as a median
    of DMCs spread by sigma would put it (right while up to about three in four DMCs of a
    small region have a problem)."""
    if int(informative.sum()) < _MIN_SIDE:
        return coef
    z = np.log((capped[informative] + 0.5) / exposure[informative])
    moved = coef.copy()
    moved[0] += float(np.quantile(z - (x @ coef)[informative], 0.20)) + _Z20 * sigma
    return moved


def _poisson_fit(counts: FloatArray, exposure: FloatArray, x: FloatArray) -> FloatArray:
    """log(rate) = x @ coef by Poisson regression (Newton steps); a start, not the estimate."""
    coef = np.zeros(x.shape[1])
    coef[0] = np.log(counts.sum() / exposure.sum())
    for _ in range(25):
        mean = exposure * np.exp(np.clip(x @ coef, -50, 50))
        # A small ridge keeps a term whose DMCs raise nothing at all finite.
        hessian = (x * mean[:, None]).T @ x + 1e-6 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, x.T @ (counts - mean))
        coef += np.clip(step, -5, 5)
        if np.abs(step).max() < 1e-6:
            break
    return np.clip(coef, -30, 30)


def _robust_fit(
    z: FloatArray, noise: FloatArray, x: FloatArray, start: FloatArray, floor: float
) -> tuple[FloatArray, float, int]:
    """Coefficients of the typical log rate, natural sigma, DMCs kept; `noise` is each z's own
    sampling variance, `start` the Poisson fit.

    Problems only ever raise a DMC's rate, and one component can sit in most of a region's DMCs,
    so the start's level is read from the lower quantiles of the residuals (5% and 20%: right
    while up to about three in five DMCs are raised); then, five times over, the DMCs near the
    fit are kept (first within 2.5 standard deviations either side, then all but those more
    than 3 above), the fit is redone by weighted least squares on them, and sigma is their
    residuals' median absolute deviation less the counts' own noise.
    """
    q05, q20 = np.quantile(z - x @ start, [0.05, 0.20])
    sigma = max(float(q20 - q05) / _Q05_Q20, floor)
    coef = start.copy()
    coef[0] += float(q20) + _Z20 * sigma
    kept = np.ones(len(z), dtype=bool)
    for step in range(5):
        variance = max(sigma, floor) ** 2 + noise
        residual = (z - x @ coef) / np.sqrt(variance)
        # First closing in on the healthy DMCs from both sides (a window of 2.5 standard
        # deviations), then only the raised ones set aside (3 above).
        kept = (residual <= 3) if step >= 3 else (np.abs(residual) <= 2.5)
        # Terms the kept DMCs cannot tell (all hold the type, or none) keep their start value.
        free = np.array([True] + [min(x[kept, j].sum(), (1 - x[kept, j]).sum()) >= _MIN_SIDE
                                  for j in range(1, x.shape[1])])  # fmt: skip
        offset = x[:, ~free] @ coef[~free]
        root = np.sqrt(1 / variance[kept])
        coef[free] = np.linalg.lstsq(
            x[kept][:, free] * root[:, None], (z - offset)[kept] * root, rcond=None
        )[0]
        residual = z[kept] - (x @ coef)[kept]
        sigma = _natural_sd(np.abs(residual - np.median(residual)), noise[kept])
    return coef, sigma, int(kept.sum())


def _natural_sd(deviation: FloatArray, noise: FloatArray) -> float:
    """The sigma at which the deviations, each over sqrt(sigma^2 + its own noise), have the
    median absolute value of a standard normal: a median absolute deviation that lets each
    DMC's count noise differ. Bisection: the median falls as sigma grows."""

    def median_at(sigma: float) -> float:
        return _median(deviation / np.sqrt(sigma**2 + noise))

    if median_at(0.0) <= _HALF_NORMAL_MEDIAN:
        return 0.0
    low, high = 0.0, 10.0
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if median_at(middle) > _HALF_NORMAL_MEDIAN else (low, middle)
    return (low + high) / 2


def _median(values: FloatArray) -> float:
    """np.median of a 1-D array, the same value without its per-call overhead: the bisection
    above takes 40 medians per fit, 17,000 a run at 5 M alerts, 1.9 of 19 s of CPU through
    np.median. Partitioned as np.median partitions (the last place too, where a nan goes)."""
    n = len(values)
    if n == 0:
        return float("nan")
    half = n // 2
    part = np.partition(values, [half - 1, half, -1] if n % 2 == 0 else [half, -1])
    if np.isnan(part[-1]):
        return float("nan")
    return float(part[half] if n % 2 else (part[half - 1] + part[half]) / 2)


def excess_p(
    capped: object,
    exposure: object,
    dispersion: object,
    log_typical: object,
    log_sd: object,
    *,
    refine: bool = True,
) -> FloatArray:
    """P(X >= capped / w) for each group under the natural-variation model (vectorised).

    Without `refine` the small p-values stay the quick rule's: enough to decide p <= alpha.

    `log_sd` is the group's own spread (sigma, times the square root of the Herfindahl index
    for a pooled group). A group with no alerts gets 1; a region with no typical rate, 0.
    """
    c, e, w, mu, sd = (
        np.atleast_1d(np.asarray(v, dtype=np.float64))
        for v in (capped, exposure, dispersion, log_typical, log_sd)
    )
    c, e, w, mu, sd = np.broadcast_arrays(c, e, w, mu, sd)
    x, base = c / w, e / w
    p = np.ones(x.shape)
    live = (x > 0) & np.isfinite(mu)
    p[(x > 0) & ~np.isfinite(mu)] = 0.0
    if live.any():
        p[live] = _mixture_tail(x[live], base[live], mu[live], sd[live], _HERMITE_T * np.sqrt(2))
        fine = np.flatnonzero(live)[p[live] < _REFINE_BELOW] if refine else np.zeros(0, int)
        if len(fine):
            p[fine] = _mixture_tail(x[fine], base[fine], mu[fine], sd[fine], _FINE, _FINE_W)
    return np.clip(p, 0.0, 1.0)


def _mixture_tail(
    x: FloatArray,
    base: FloatArray,
    mu: FloatArray,
    sd: FloatArray,
    nodes: FloatArray,
    weights: FloatArray | None = None,
) -> FloatArray:
    """E over theta of P(Poisson(base * exp(mu + sd * eps)) >= x), eps standard normal.

    Rows go in chunks of at most _ONE_CALL values (memory stays one chunk, not cells x nodes),
    and each row is summed on its own over the nodes: a group's p-value is then the same bits
    whether it is asked about alone or with thousands of others (a matrix product's sums
    depend on how many rows it is given), so attribution can batch its questions.
    """
    if weights is None:
        weights = _HERMITE_W / np.sqrt(np.pi)
    p = np.zeros(x.shape)
    rows = max(_ONE_CALL // len(nodes), 1)
    for start in range(0, x.size, rows):
        at = slice(start, start + rows)
        lam = base[at, None] * np.exp(mu[at, None] + sd[at, None] * nodes[None, :])
        p[at] = (special.gammainc(x[at, None], lam) * weights).sum(axis=1)
    return p


def spread_edge(log_sd: float, tail: float, cells: int) -> float:
    """The rate ratio to the typical rate that all of `cells` healthy cells stay below, but with
    probability `tail` (the 1 - tail / cells quantile): a run of 100,000 healthy cells has one
    near 4.3 sigma, and that is still natural variation."""
    return float(np.exp(special.ndtri(1 - tail / max(cells, 1)) * log_sd))


def herfindahl(exposure: FloatArray) -> float:
    total = float(exposure.sum())
    return float((exposure**2).sum() / total**2) if total > 0 else 1.0
