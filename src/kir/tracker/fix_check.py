"""Fix verified by telemetry: is a linked finding's excess gone on the first fixed firmware?

For an issue raised from a finding whose affected product names a first fixed firmware, the
latest run after the link is compared, same region and alert code:

- **still there**: a finding of that run has the fixed firmware among its components (the engine
  found the excess on it), shown with its figures beside the affected finding's;
- **gone**: no finding has it, and at least MIN_UPGRADED installations in the region run the fixed
  firmware with the finding's other components (counted by a small query over the run's kept
  inventory), enough for the engine to have seen a rate like the affected one;
- **not yet measurable**: fewer upgraded installations than that (or no later run, or its
  inventory is no longer kept), with the count.

Only the worker calls this (kir.tracker.fix_check_jobs, when a run is stored or an issue's first
fixed firmware changes): it opens DuckDB over the run's kept inventory, which a web request never
does. Pages read the stored FixCheckResult rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from kir.register.models import Issue
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.inputs import inventory_relation
from kir.tracker.engine.sql_estate import checked_inventory
from kir.tracker.models import FindingIssueLink, RunStatus, TrackerRun

MIN_UPGRADED = 30
GONE, STILL_THERE, NOT_MEASURABLE = "gone", "still there", "not yet measurable"


@dataclass(frozen=True)
class FixCheck:
    link_id: int
    product: str
    fixed_firmware: str
    verdict: str
    explanation: str
    run_id: int | None = None
    upgraded_installations: int | None = None
    affected_excess: float | None = None
    fixed_excess: float | None = None


def _text(component: dict[str, str]) -> str:
    return "/".join(
        str(component[k]).upper()
        for k in ("device_type", "manufacturer", "model", "firmware_version")
    )


_UPGRADED_SQL = """
    SELECT count(*) FROM (
        SELECT installation_id FROM ({inventory})
        WHERE reason IS NULL AND region = ? AND component IN (SELECT unnest(?))
        GROUP BY installation_id
        HAVING count(DISTINCT component) = ? AND bool_or(component = ?))"""


def upgraded_installations(
    run: TrackerRun, region: str, fixed: str, others: list[str]
) -> int | None:
    """Installations in `region` with the `fixed` component and every one of `others`, from the
    run's kept inventory; None when the inventory is no longer there."""
    path = Path(run.inventory_path)
    if not path.is_file():
        return None
    wanted = [fixed, *others]
    try:
        with duckdb.connect() as con:
            row = con.execute(
                _UPGRADED_SQL.format(inventory=checked_inventory(inventory_relation(path))),
                [region, wanted, len(set(wanted)), fixed],
            ).fetchone()
    except (TrackerError, duckdb.Error):
        return None  # the run read it once; a file changed since is no longer what it read
    return int(row[0]) if row else 0


def _latest_run(link: FindingIssueLink) -> TrackerRun | None:
    return (
        TrackerRun.objects.filter(status=RunStatus.SUCCEEDED, pk__gte=link.finding.run_id)
        .order_by("-pk")
        .first()
    )


def _check(link: FindingIssueLink, product: str, part: dict[str, str], fixed_fw: str) -> FixCheck:
    finding = link.finding
    fixed = _text({**part, "firmware_version": fixed_fw})
    others = [_text(c) for c in finding.components if _text(c) != _text(part)]
    run = _latest_run(link)
    if run is None:
        return FixCheck(
            link.pk, product, fixed_fw, NOT_MEASURABLE, "No run after the issue was raised."
        )
    same = run.findings.filter(region=finding.region, alert_code=finding.alert_code)
    affected = same.filter(key=finding.key).first()
    still = next((f for f in same if fixed in {_text(c) for c in f.components}), None)
    affected_excess = affected.excess_alerts_per_day if affected else None

    def verdict(name: str, explanation: str, **figures: int | float | None) -> FixCheck:
        return FixCheck(
            link.pk,
            product,
            fixed_fw,
            name,
            explanation,
            run_id=run.pk,
            affected_excess=affected_excess,
            **figures,  # type: ignore[arg-type]
        )

    if still is not None:
        return verdict(
            STILL_THERE,
            f"Run {run.pk} finds the excess on firmware {fixed_fw} too "
            f"({still.affected_installations} affected installations).",
            fixed_excess=still.excess_alerts_per_day,
            upgraded_installations=still.installations,
        )
    count = upgraded_installations(run, finding.region, fixed, others)
    if count is None:
        return verdict(
            NOT_MEASURABLE,
            f"Run {run.pk}'s inventory is no longer kept or readable.",
        )
    if count < MIN_UPGRADED:
        return verdict(
            NOT_MEASURABLE,
            f"Only {count} installations in the region run firmware {fixed_fw} with the same other "
            f"components in run {run.pk}; at least {MIN_UPGRADED} are needed.",
            upgraded_installations=count,
        )
    return verdict(
        GONE,
        f"{count} installations run firmware {fixed_fw} with the same other components in run "
        f"{run.pk}, and the tracker finds no excess on them.",
        upgraded_installations=count,
    )


def fix_checks_for_issue(issue: Issue) -> list[FixCheck]:
    """One check per (linked finding, affected product naming a first fixed firmware), computed
    now (in the worker: this may read a run's inventory with DuckDB)."""
    checks = []
    products = issue.products.exclude(first_fixed_firmware="").select_related(
        "device_version__device_model__manufacturer"
    )
    links = list(issue.tracker_links.select_related("finding"))
    for product in products:
        version = product.device_version
        if version is None:
            continue
        model = version.device_model
        for link in links:
            for part in link.finding.components:
                if (
                    part["manufacturer"].upper() == model.manufacturer.identifier.upper()
                    and part["model"].upper() == model.model_id.upper()
                    and part["firmware_version"].upper() == version.firmware_version.upper()
                ):
                    checks.append(_check(link, str(version), part, product.first_fixed_firmware))
    return checks
