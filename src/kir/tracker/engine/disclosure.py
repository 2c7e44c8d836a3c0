"""Disclosure control: what each audience may see of a finding.

Parties see aggregates only: no device or installation ids, and a finding's figures are suppressed
when it covers too few installations or one supplier holds most of them (either would let a reader
single out a Party's installations). Device-level drill-down goes to DCC, or to a supplier for its
own installations only.
"""

from __future__ import annotations

from typing import Any

from kir.tracker.engine.estate import Estate
from kir.tracker.engine.rules import Rules

AUDIENCES = ("dcc", "parties")
SUPPRESSED_FIELDS = (
    "installations",
    "affected_installations",
    "alerts",
    "superfluous_alerts",
    "rate_per_installation_day",
    "baseline_rate_per_installation_day",
    "rate_ratio",
    "raw_rate_ratio",
    "rate_ratio_ci",
    "p_value",
    "q_value",
    "prevalence",
    "baseline_prevalence",
    "persistence",
    "excess_alerts_per_day",
    "share_of_region_traffic",
    "largest_installation_share",
    "natural_variation",
    "homogeneity",
    "daily",
    "first_seen",
    "last_seen",
    "onset",
)


def suppression_reason(
    estate: Estate, region: str, dmc_keys: list[int], rules: Rules
) -> str | None:
    by_supplier: dict[str, int] = {}
    for key in dmc_keys:
        for supplier, count in estate.suppliers.get((region, key), {}).items():
            by_supplier[supplier] = by_supplier.get(supplier, 0) + count
    total = sum(by_supplier.values())
    if total < rules.disclosure_min_installations:
        return f"fewer than {rules.disclosure_min_installations} installations"
    if max(by_supplier.values()) > rules.disclosure_max_supplier_share * total:
        share = round(rules.disclosure_max_supplier_share * 100)
        return f"one supplier holds more than {share}% of the installations"
    return None


def apply_disclosure(
    finding: dict[str, Any],
    *,
    audience: str,
    reason: str | None,
    drilldown: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """The finding as `audience` may see it; drilldown is already limited to what is allowed."""
    shown = dict(finding)
    if audience == "parties" and reason:
        for name in SUPPRESSED_FIELDS:
            shown[name] = None
        shown["suppressed"] = True
        shown["suppression_reason"] = reason
    else:
        shown["suppressed"] = False
    if drilldown is not None:
        shown["devices"] = drilldown
    return shown


def drilldown_allowed(audience: str, supplier: str | None) -> bool:
    """DCC sees every installation; anyone else only a supplier's own, when it says which."""
    return audience == "dcc" or supplier is not None
