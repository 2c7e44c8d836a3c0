"""The ingest state directory: its batches, and the window `analyse --state` reads from them.

A state directory holds one sub-directory per ingest ("batch") with:
  days.parquet     alerts and superfluous alerts per day, region, DMC signature and code
  devices.parquet  superfluous alerts per day, device and code (and alerts of unknown devices)
  carry.parquet    each device stream's last alert near the batch's final midnight
  meta.json        the days covered, counts, and the rules fingerprint
Partials name a DMC by its signature, so a later inventory re-maps them. History of a signature
the inventory no longer has is counted and reported (ScanSummary.unmapped_history_*), and left
out of the region traffic and the tests: the current inventory defines the estate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from kir.tracker.engine import sql, sql_state
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.rules import Rules
from kir.tracker.engine.scan import ScanSummary, summarise_scan


def rules_fingerprint(rules: Rules) -> str:
    data = rules.to_json()
    for key in ("memory_limit", "threads", "day_pass_min_rows", "source"):
        data.pop(key, None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Batch:
    path: Path
    first_day: date
    last_day: date
    fingerprint: str


def batches(state_dir: Path) -> list[Batch]:
    found = []
    for meta_path in sorted(Path(state_dir).glob("*/meta.json")):
        if meta_path.parent.name.startswith("."):
            continue  # an ingest's staging (incremental.py), left whole by one killed mid-write
        meta = json.loads(meta_path.read_text("utf-8"))
        found.append(
            Batch(
                meta_path.parent,
                date.fromisoformat(meta["first_day"]),
                date.fromisoformat(meta["last_day"]),
                meta["rules_fingerprint"],
            )
        )
    return found


UNMAPPED_REGION = "?dmc-not-in-inventory"


def load_window(
    con: duckdb.DuckDBPyConnection,
    state_dir: Path,
    rules: Rules,
    day_from: date | None,
    day_to: date | None,
) -> ScanSummary:
    """Fill agg_day and dev_sup from the batches covering the window, as a scan would; the
    summary also counts the history the inventory no longer maps."""
    found = batches(state_dir)
    if not found:
        raise TrackerError(f"{state_dir}: no ingested days")
    fingerprint = rules_fingerprint(rules)
    if any(b.fingerprint != fingerprint for b in found):
        raise TrackerError(f"{state_dir}: ingested with other rules than these")
    lo = day_from or min(b.first_day for b in found)
    hi = day_to or max(b.last_day for b in found)
    # A batch just after the window may hold corrections for the window's last day.
    used = [b for b in found if b.first_day <= hi + timedelta(days=1) and lo <= b.last_day]
    if not used:
        raise TrackerError(f"{state_dir}: nothing ingested between {lo} and {hi}")
    day_files = [str(b.path / "days.parquet") for b in used]
    device_files = [str(b.path / "devices.parquet") for b in used]
    for statement in sql_state.window_from_partials(
        day_files, device_files, lo.isoformat(), hi.isoformat()
    ):
        con.execute(statement)
    alerts, dmcs = _set_aside_unmapped_history(con, day_files, lo, hi)
    summary = summarise_scan(con)
    summary.unmapped_history_alerts, summary.unmapped_history_dmcs = alerts, dmcs
    summary.first_day, summary.last_day = lo, hi
    return summary


def _set_aside_unmapped_history(
    con: duckdb.DuckDBPyConnection, day_files: list[str], lo: date, hi: date
) -> tuple[int, int]:
    """Move the history of DMCs the inventory no longer has out of the regions.

    Their rows came out of window_from_partials with a region but no DMC; left there, the
    region traffic would count them while no cell could. In a region of their own they still
    count in the report's alert totals (never silently dropped), but in no region's traffic and
    no test, as a one-shot run counts alerts of devices missing from its inventory.
    Returns the alerts and the number of DMC signatures set aside.
    """
    unmapped = f"dmc_key IS NULL AND region IN ({sql.REGIONS_SQL})"
    row = con.execute(f"SELECT coalesce(sum(alerts), 0) FROM agg_day WHERE {unmapped}").fetchone()
    alerts = int(row[0]) if row else 0
    if not alerts:
        return 0, 0
    signatures = con.execute(
        f"SELECT count(DISTINCT a.signature) FROM read_parquet({sql.file_list(day_files)}) a "
        "LEFT JOIN dmc m ON m.signature = a.signature "
        f"WHERE a.day BETWEEN ? AND ? AND m.dmc_key IS NULL AND a.region IN ({sql.REGIONS_SQL})",
        [lo, hi],
    ).fetchone()
    for table in ("agg_day", "dev_sup"):
        con.execute(f"UPDATE {table} SET region = {sql.quote(UNMAPPED_REGION)} WHERE {unmapped}")
    return alerts, int(signatures[0]) if signatures else 0
