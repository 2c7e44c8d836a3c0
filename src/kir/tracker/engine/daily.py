"""Each finding's daily series over the window, for the report and the web app's charts."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

from kir.tracker.engine import sql_cells
from kir.tracker.engine.cells import CellTable
from kir.tracker.engine.connection import create_table
from kir.tracker.engine.findings import Finding


def create_wanted(con: duckdb.DuckDBPyConnection, findings: list[Finding]) -> None:
    """The `wanted` table: one row per finding x DMC, which the per-finding queries join."""
    wanted = [
        (index, f.region, f.code, key) for index, f in enumerate(findings) for key in f.dmc_keys
    ]
    create_table(
        con,
        "wanted",
        {
            "finding": ("BIGINT", [w[0] for w in wanted]),
            "region": ("VARCHAR", [w[1] for w in wanted]),
            "code": ("VARCHAR", [w[2] for w in wanted]),
            "dmc_key": ("BIGINT", [w[3] for w in wanted]),
        },
    )


def daily_series(
    con: duckdb.DuckDBPyConnection, findings: list[Finding], table: CellTable
) -> list[list[dict[str, Any]]]:
    """Per finding, one entry per day: alerts, superfluous alerts, affected installations (that
    day's superfluous alerts reach the day's "unusual" level), the rest of the region's rate
    that day, and whether the day shows the behaviour. Needs `wanted` (create_wanted)."""
    days = len(table.days)
    if not days or not findings:
        return [[] for _ in findings]
    figures = np.zeros((len(findings), 3, days), dtype=np.int64)
    query = sql_cells.finding_days(table.days[0].isoformat())
    for index, day, alerts, sup, affected in con.execute(query).fetchall():
        if 0 <= day < days:
            figures[index, :, day] = (alerts, sup, affected)
    return [_series(f, table, figures[i]) for i, f in enumerate(findings)]


def _series(finding: Finding, table: CellTable, figures: np.ndarray) -> list[dict[str, Any]]:
    members = np.asarray(finding.attribution.members, dtype=np.int64)
    region = table.group_of(int(members[0]))
    rest_daily = table.daily[region].sum(axis=0) - table.daily[members].sum(axis=0)
    rest_installations = finding.stats.rest_installations
    shows = finding.stats.timing.shows
    return [
        {
            "day": day.isoformat(),
            "alerts": int(figures[0, i]),
            "superfluous_alerts": int(figures[1, i]),
            "affected_installations": int(figures[2, i]),
            "baseline_rate_per_installation_day": (
                round(float(rest_daily[i]) / rest_installations, 6) if rest_installations else None
            ),
            "shows": bool(shows[i]) if len(shows) > i else False,
        }
        for i, day in enumerate(table.days)
    ]


def timing_fields(finding: Finding, table: CellTable) -> dict[str, Any]:
    """First and last day seen, and the onset when the behaviour starts inside the window."""
    timing = finding.stats.timing

    def day(index: int | None) -> str | None:
        return table.days[index].isoformat() if index is not None else None

    return {
        "first_seen": day(timing.first_seen),
        "last_seen": day(timing.last_seen),
        "onset": day(timing.onset),
    }
