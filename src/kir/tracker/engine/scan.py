"""The one pass over the alerts: flag superfluous alerts and reduce them to small tables.

After `scan_alerts` the connection holds:
  agg_day(day, region, dmc_key, code, messages, alerts, superfluous)
  dev_sup(day, region, dmc_key, code, dev_key, superfluous)   superfluous > 0 or unknown device
Both may hold several rows for one key (a device's days, say): every reader sums them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from kir.tracker.engine import sql, sql_alerts
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
    # analyse --state only: ingested history of DMCs the inventory no longer has (left out).
    unmapped_history_alerts: int = 0
    unmapped_history_dmcs: int = 0


def scan_range_sql(rules: Rules, day_from: date | None, day_to: date | None) -> str:
    """Rows the window functions must see: the window plus one rule-window either side."""
    margin = rules.max_window_seconds() * 1_000_000
    terms = ["NOT valid"]
    bounds = []
    if day_from:
        bounds.append(f"ts_us >= epoch_us({sql.utc_midnight(day_from.isoformat())}) - {margin}")
    if day_to:
        end = (day_to + timedelta(days=1)).isoformat()
        bounds.append(f"ts_us < epoch_us({sql.utc_midnight(end)}) + {margin}")
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
    keys = code_keys(con, inputs)
    passes = day_passes(inputs, rules) if day_from is None and day_to is None else []
    if passes:
        for number, day in enumerate(passes):
            query = _day_pass_sql(inputs, rules, day, first=number == 0, keys=keys)
            into = "INSERT INTO scan_groups" if number else "CREATE TEMP TABLE scan_groups AS"
            con.execute(f"{into} {query}")
    else:
        source = (
            f"SELECT * FROM ({inputs.source_sql()}) WHERE {scan_range_sql(rules, day_from, day_to)}"
        )
        aggregated = sql_alerts.aggregates(
            sql_alerts.flagged_alerts(source, rules, with_carry=False, keys=keys),
            day_from=day_from.isoformat() if day_from else None,
            day_to=day_to.isoformat() if day_to else None,
            keys=keys,
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE scan_groups AS {aggregated}")
    split_scan_groups(con)
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


MAX_DAY_PASSES = 92


def day_passes(inputs: AlertInputs, rules: Rules) -> list[date]:
    """The days to scan one by one, or [] for a single pass over everything.

    Day by day only when it can pay: every file Parquet with a TIMESTAMPTZ raised_at and
    row-group statistics for it (so a pass skips the other days' row groups), and at least
    rules.day_pass_min_rows rows (below that one pass fits in memory anyway).
    """
    if any(group.fmt != "parquet" for group in inputs.groups):
        return []
    metadata = [pq.read_metadata(path) for group in inputs.groups for path in group.paths]
    if sum(meta.num_rows for meta in metadata) < rules.day_pass_min_rows:
        return []  # one pass fits in memory: no need to read the row-group statistics
    first: date | None = None
    last: date | None = None
    for meta in metadata:
        span = _parquet_time_span(meta)
        if span is None:
            return []
        low, high = span
        if low is not None and high is not None:
            first = low if first is None else min(first, low)
            last = high if last is None else max(last, high)
    # A stray time years off (a meter whose clock reset) would make thousands of passes.
    if first is None or last is None or (last - first).days >= MAX_DAY_PASSES:
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _parquet_time_span(meta: pq.FileMetaData) -> tuple[date | None, date | None] | None:
    """The first and last UTC day of raised_at, from the file's metadata alone."""
    names = meta.schema.to_arrow_schema()
    if "raised_at" not in names.names:
        return None
    kind = names.field("raised_at").type
    if not (pa.types.is_timestamp(kind) and kind.tz is not None):
        return None
    column = names.get_field_index("raised_at")
    low: date | None = None
    high: date | None = None
    for index in range(meta.num_row_groups):
        chunk = meta.row_group(index)
        stats = chunk.column(column).statistics
        if chunk.num_rows == 0 or (stats is not None and stats.null_count == chunk.num_rows):
            continue  # no times here: rows without a time go to the first pass
        if stats is None or not stats.has_min_max:
            return None
        if not (isinstance(stats.min, datetime) and isinstance(stats.max, datetime)):
            return None  # out of Python's date range: let one pass deal with it
        start, end = stats.min.astimezone(UTC).date(), stats.max.astimezone(UTC).date()
        low = start if low is None else min(low, start)
        high = end if high is None else max(high, end)
    return low, high


def _day_pass_sql(
    inputs: AlertInputs, rules: Rules, day: date, *, first: bool, keys: sql_alerts.CodeKeys
) -> str:
    next_day = (day + timedelta(days=1)).isoformat()
    raw = sql_alerts.day_pass_filter(
        day.isoformat(), next_day, rules.max_window_seconds(), first=first
    )
    flagged = sql_alerts.flagged_alerts(inputs.source_sql(raw), rules, with_carry=False, keys=keys)
    return sql_alerts.aggregates(
        flagged, day_from=None, day_to=None, pass_day=day.isoformat(), keys=keys
    )


MAX_CODE_KEYS = 512


def code_keys(con: duckdb.DuckDBPyConnection, inputs: AlertInputs) -> sql_alerts.CodeKeys:
    """Integer keys for the codes when listing them first is cheap: Parquet reads the one
    column, and dictionary-encoded at that. A CSV would be parsed twice: it keeps strings."""
    if any(group.fmt != "parquet" for group in inputs.groups):
        return sql_alerts.STRING_CODES
    found = con.execute(
        f"SELECT DISTINCT code FROM ({inputs.source_sql()}) WHERE code IS NOT NULL "
        f"LIMIT {MAX_CODE_KEYS + 1}"
    ).fetchall()
    if len(found) > MAX_CODE_KEYS:
        return sql_alerts.STRING_CODES
    return sql_alerts.CodeKeys([code for (code,) in found])


def unmatched_ids(
    con: duckdb.DuckDBPyConnection, inputs: AlertInputs
) -> list[tuple[str, int, bool, bool]]:
    rows: list[tuple[str, int, bool, bool]] = []
    for group in inputs.groups:
        query = sql_alerts.unmatched_device_ids(group.relation(store_rejects=True))
        rows += [
            (str(r[0]), int(r[1]), bool(r[2]), bool(r[3])) for r in con.execute(query).fetchall()
        ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def split_scan_groups(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE agg_day AS SELECT day, region, dmc_key, code, "
        "messages, alerts, superfluous FROM scan_groups"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dev_sup AS SELECT day, region, dmc_key, code, "
        "sup_dev AS dev_key, superfluous FROM scan_groups WHERE sup_dev IS NOT NULL"
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
