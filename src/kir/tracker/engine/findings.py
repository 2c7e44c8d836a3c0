"""From cell tests to findings: flag cells, attribute them, pool, test again, grade certainty."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kir.identifiers import Component
from kir.tracker.engine import stats
from kir.tracker.engine.attribution import Attribution, attribute
from kir.tracker.engine.cells import CellTable, GroupStats, cell_tests, group_stats, homogeneity
from kir.tracker.engine.codes import describe_alert_code
from kir.tracker.engine.estate import Dmc
from kir.tracker.engine.rules import CertaintyLevel, Rules


@dataclass
class Finding:
    region: str
    code: str
    attribution: Attribution
    stats: GroupStats
    dmc_keys: list[int]
    q_value: float = 1.0
    p_value: float = 1.0
    certainty: str | None = None
    found_in_regions: list[str] = field(default_factory=list)
    region_specific: bool = False


def certainty(g: GroupStats, q_value: float, rules: Rules, region_alerts: int) -> str | None:
    """The documented grading; None when the group is not a finding at all."""
    ratio = g.rate_ratio if np.isfinite(g.rate_ratio) else np.inf
    if g.affected < rules.min_affected_installations or q_value > rules.alpha:
        return None
    if not ratio >= rules.min_rate_ratio:
        return None
    # One installation producing most of the traffic is a noisy device, not a pattern; a rate
    # inside the natural spread of healthy DMCs is no defect however sure the count is.
    dominated = g.sup > 0 and g.top > rules.max_single_installation_share * g.sup
    natural = not g.ratio_to_typical > g.spread_edge
    if dominated or natural:
        return "indicative"
    for name, level in (("established", rules.established), ("corroborated", rules.corroborated)):
        if meets(g, q_value, level, region_alerts):
            return name
    return "indicative"


def impact(g: GroupStats, region_alerts: int) -> dict[str, float]:
    """The three impact figures the grades ask for."""
    return {
        "excess_alerts_per_day": g.excess_per_day,
        "share_of_region_traffic": g.sup / region_alerts if region_alerts else 0.0,
        "prevalence": g.affected / g.installations if g.installations else 0.0,
    }


def meets(g: GroupStats, q_value: float, level: CertaintyLevel, region_alerts: int) -> bool:
    figures = impact(g, region_alerts)
    return (
        g.affected >= level.min_affected_installations
        and g.persistence >= level.min_persistence
        and q_value <= level.max_q_value
        and g.ci_low >= level.min_ci_lower
        and figures["excess_alerts_per_day"] >= level.min_excess_alerts_per_day
        and figures["share_of_region_traffic"] >= level.min_share_of_region_traffic
        and figures["prevalence"] >= level.min_prevalence
    )


def flagged_cells(table: CellTable, rules: Rules) -> tuple[set[int], np.ndarray]:
    tests = cell_tests(table, rules.alpha)
    q = stats.benjamini_hochberg(tests.p_value)
    ok = (
        (q <= rules.alpha)
        & (np.nan_to_num(tests.rate_ratio, nan=0.0, posinf=np.inf) >= rules.min_rate_ratio)
        & (table.affected[tests.index] >= rules.min_affected_installations)
    )
    return {int(i) for i in tests.index[ok]}, tests.p_value


def build_findings(table: CellTable, dmcs: dict[int, Dmc], rules: Rules) -> list[Finding]:
    flagged, cell_p = flagged_cells(table, rules)
    found: list[Finding] = []
    for (region, code), cells in table.groups.items():
        mine = flagged & {int(i) for i in cells}
        if not table.sup[cells].any():
            continue
        for attribution in attribute(table, cells, mine, dmcs, rules):
            members = np.asarray(attribution.members, dtype=np.int64)
            keys = sorted(int(table.dmc_key[i]) for i in members)
            found.append(
                Finding(region, code, attribution, group_stats(table, members, rules), keys)
            )
    # One family for q-values: every cell test and every pooled finding test of the run, the
    # latter corrected for the candidate sets their search tried.
    for f in found:
        f.p_value = min(1.0, f.stats.p_value * f.attribution.tried)
    family = np.concatenate([cell_p, [f.p_value for f in found]])
    q_all = stats.benjamini_hochberg(family)
    for finding, q_value in zip(found, q_all[len(cell_p) :], strict=True):
        finding.q_value = float(q_value)
        finding.certainty = certainty(
            finding.stats, finding.q_value, rules, table.region_alerts.get(finding.region, 0)
        )
    kept = [f for f in found if f.certainty is not None]
    _mark_regions(kept, table, dmcs)
    return sorted(kept, key=_rank)


_ORDER = {"established": 0, "corroborated": 1, "indicative": 2}


def _rank(finding: Finding) -> tuple[Any, ...]:
    return (_ORDER[finding.certainty or "indicative"], -finding.stats.excess_per_day)


def _mark_regions(found: list[Finding], table: CellTable, dmcs: dict[int, Dmc]) -> None:
    """A finding is region-specific when its components are installed elsewhere without it."""
    regions_of: dict[tuple[str, tuple[Any, ...]], set[str]] = defaultdict(set)
    for f in found:
        regions_of[(f.code, f.attribution.components)].add(f.region)
    # Per region, which installed DMCs hold each component: a finding's components are
    # installed there together when those sets meet (a subset test over every DMC of every
    # other region, per finding, cost 0.8 s at 20 M alerts).
    holding: dict[str, dict[Component, set[int]]] = {}
    for (region, _code), cells in table.groups.items():
        if region not in holding:  # every code of a region lists the same DMCs
            held = cells[table.installations[cells] > 0]
            at: dict[Component, set[int]] = defaultdict(set)
            for key in table.dmc_key[held].tolist():
                for component in dmcs[key].members:
                    at[component].add(key)
            holding[region] = at
    for f in found:
        f.found_in_regions = sorted(regions_of[(f.code, f.attribution.components)])
        f.region_specific = any(
            _installed_together(at, f.attribution.components)
            for region, at in holding.items()
            if region != f.region and region not in f.found_in_regions
        )


def _installed_together(
    holding: dict[Component, set[int]], components: tuple[Component, ...]
) -> bool:
    sets = [holding.get(c, set()) for c in components]
    return bool(sets) and bool(set.intersection(*sets))


def describe(
    finding: Finding, table: CellTable, dmcs: dict[int, Dmc], rules: Rules
) -> dict[str, Any]:
    """The finding as the JSON contract's dict (before disclosure control)."""
    g = finding.stats
    exposure = max(g.installations * g.days, 1)
    baseline = g.rest_sup / (g.rest_installations * g.days) if g.rest_installations else None
    region_alerts = table.region_alerts.get(finding.region, 0)
    return {
        "region": finding.region,
        "alert_code": finding.code,
        "alert_description": describe_alert_code(finding.code),
        "attribution": finding.attribution.kind,
        "components": [c._asdict() for c in finding.attribution.components],
        "dmcs": [dmcs[k].dmc_id for k in finding.dmc_keys],
        "installations": g.installations,
        "affected_installations": g.affected,
        "alerts": g.alerts,
        "superfluous_alerts": g.sup,
        "rate_per_installation_day": stats.finite_or_none(g.sup / exposure, 6),
        "baseline_rate_per_installation_day": stats.finite_or_none(baseline or 0.0, 6),
        "rate_ratio": stats.finite_or_none(g.rate_ratio),
        "raw_rate_ratio": stats.finite_or_none(g.raw_rate_ratio),
        "rate_ratio_ci": [stats.finite_or_none(g.ci_low), stats.finite_or_none(g.ci_high)],
        "p_value": finding.p_value,
        "q_value": finding.q_value,
        "prevalence": round(g.affected / g.installations, 6) if g.installations else None,
        "baseline_prevalence": (
            round(g.rest_affected / g.rest_installations, 6) if g.rest_installations else None
        ),
        "persistence": round(g.persistence, 4),
        "excess_alerts_per_day": round(g.excess_per_day, 2),
        "share_of_region_traffic": round(g.sup / region_alerts, 6) if region_alerts else None,
        "largest_installation_share": round(g.top / g.sup, 4) if g.sup else None,
        "certainty": finding.certainty,
        "natural_variation": _natural(g),
        "homogeneity": _homogeneity(finding, table, rules),
        "region_specific": finding.region_specific,
        "found_in_regions": finding.found_in_regions,
    }


def _natural(g: GroupStats) -> dict[str, Any]:
    """How the finding stands against the natural spread of healthy DMCs (variation.py)."""
    return {
        "ratio_to_typical": stats.finite_or_none(g.ratio_to_typical),
        "spread_edge": stats.finite_or_none(g.spread_edge),
        "log_sd": round(g.log_sd, 4),
        "region_log_sd": round(g.spread.log_sd, 4),
        "estimated_from_dmcs": g.spread.estimated_from,
        "dispersion": round(g.dispersion, 3),
        "composition": {k: round(v, 3) for k, v in g.spread.composition.items()},
        "p_value": g.p_rate,
    }


def _homogeneity(finding: Finding, table: CellTable, rules: Rules) -> dict[str, Any]:
    found = homogeneity(table, finding.attribution.members, rules)
    found["ratio_without_largest"] = stats.finite_or_none(found["ratio_without_largest"])
    return found
