"""The one pass over the alerts: flag superfluous alerts and reduce them to small tables.

After `scan_alerts` the connection holds:
  agg_day(day, region, dmc_key, code, messages, alerts, superfluous)
  dev_sup([day,] region, dmc_key, code, dev_key, superfluous)   superfluous > 0 or unknown device
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from kir.tracker.engine import sql
from kir.tracker.engine.codes import is_valid_alert_code
from kir.tracker.engine.inputs import AlertInputs
from kir.tracker.engine.rules import Rules

UNKNOWN_SAMPLE = 10


@dataclass
class ScanSummary:
    messages: int = 0
    alerts: int = 0
    rejected_rows: int = 0
    invalid_codes: list[str] = field(default_factory=list)
    unknown_device_alerts: int = 0
    unknown_devices: int = 0
    unknown_device_sample: list[str] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None


def scan_range_sql(rules: Rules, day_from: date | None, day_to: date | None) -> str:
    """Rows the window functions must see: the window plus one rule-window either side."""
    margin = rules.max_window_seconds() * 1_000_000
    terms = ["NOT valid"]
    bounds = []
    if day_from:
        bounds.append(f"ts_us >= epoch_us(TIMESTAMPTZ '{day_from.isoformat()}') - {margin}")
    if day_to:
        end = (day_to + timedelta(days=1)).isoformat()
        bounds.append(f"ts_us < epoch_us(TIMESTAMPTZ '{end}') + {margin}")
    if not bounds:
        return "true"
    return "(" + " OR ".join([*terms, " AND ".join(bounds)]) + ")"


def scan_alerts(
    con: duckdb.DuckDBPyConnection,
    inputs: AlertInputs,
    rules: Rules,
    *,
    day_from: date | None = None,
    day_to: date | None = None,
) -> ScanSummary:
    source = (
        f"SELECT * FROM ({inputs.source_sql()}) WHERE {scan_range_sql(rules, day_from, day_to)}"
    )
    flagged = sql.flagged_alerts(source, rules, with_carry=False)
    aggregated = sql.aggregates(
        flagged,
        day_from=day_from.isoformat() if day_from else None,
        day_to=day_to.isoformat() if day_to else None,
        by_day=False,
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE scan_groups AS {aggregated}")
    split_scan_groups(con, by_day=False)
    summary = summarise_scan(con)
    if summary.unknown_device_alerts:
        unmatched = unmatched_ids(con, inputs)
        fallback = any(malformed or known for _id, _n, malformed, known in unmatched)
        if fallback and inputs.trust_canonical:
            # Some ids were not in canonical form after all: do it again, normalising every id.
            inputs.trust_canonical = False
            return scan_alerts(con, inputs, rules, day_from=day_from, day_to=day_to)
        unknown = [raw for raw, _n, malformed, known in unmatched if not (malformed or known)]
        summary.unknown_device_sample = unknown[:UNKNOWN_SAMPLE]
    return summary


def unmatched_ids(
    con: duckdb.DuckDBPyConnection, inputs: AlertInputs
) -> list[tuple[str, int, bool, bool]]:
    rows: list[tuple[str, int, bool, bool]] = []
    for group in inputs.groups:
        query = sql.unmatched_device_ids(group.relation(store_rejects=True))
        rows += [
            (str(r[0]), int(r[1]), bool(r[2]), bool(r[3])) for r in con.execute(query).fetchall()
        ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def split_scan_groups(con: duckdb.DuckDBPyConnection, *, by_day: bool) -> None:
    day = "day, " if by_day else ""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE agg_day AS SELECT day, region, dmc_key, code, "
        "messages, alerts, superfluous FROM scan_groups WHERE NOT device_level"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dev_sup AS SELECT {day}region, dmc_key, code, "
        "sup_dev AS dev_key, superfluous FROM scan_groups "
        "WHERE device_level AND sup_dev IS NOT NULL"
    )
    con.execute("DROP TABLE scan_groups")
    mark_invalid_codes(con)


def mark_invalid_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Codes that are neither GBCS nor DCC alert codes make their rows rejects, after the fact.

    Checking the few distinct codes here is far cheaper than a pattern match on every row, and a
    bad code sits in a window partition of its own, so it never changed another row's flags.
    """
    codes = [r[0] for r in con.execute("SELECT DISTINCT code FROM agg_day").fetchall()]
    bad = [c for c in codes if c is not None and not is_valid_alert_code(c)]
    if bad:
        listed = ", ".join(sql.quote(c) for c in bad)
        con.execute(
            f"UPDATE agg_day SET region = {sql.quote(sql.REJECTED_REGION)}, day = NULL, "
            f"dmc_key = NULL WHERE code IN ({listed})"
        )
        con.execute(f"DELETE FROM dev_sup WHERE code IN ({listed})")
    return sorted(bad)


def summarise_scan(con: duckdb.DuckDBPyConnection) -> ScanSummary:
    summary = ScanSummary()
    rows = con.execute(
        "SELECT region, sum(messages), sum(alerts), min(day), max(day) FROM agg_day GROUP BY region"
    ).fetchall()
    for region, messages, alerts, first, last in rows:
        if region == sql.REJECTED_REGION:
            summary.rejected_rows += int(messages)
            continue
        summary.messages += int(messages)
        summary.alerts += int(alerts)
        if region == sql.UNKNOWN_REGION:
            summary.unknown_device_alerts += int(alerts)
        if first is not None:
            summary.first_day = min(filter(None, [summary.first_day, first]))
            summary.last_day = max(filter(None, [summary.last_day, last]))
    unknown = con.execute(
        "SELECT count(DISTINCT dev_key) FROM dev_sup WHERE region = ?", [sql.UNKNOWN_REGION]
    ).fetchone()
    summary.unknown_devices = int(unknown[0]) if unknown else 0
    codes = con.execute(
        "SELECT DISTINCT code FROM agg_day WHERE region = ? AND code IS NOT NULL",
        [sql.REJECTED_REGION],
    ).fetchall()
    summary.invalid_codes = sorted(c[0] for c in codes if not is_valid_alert_code(c[0]))
    return summary
