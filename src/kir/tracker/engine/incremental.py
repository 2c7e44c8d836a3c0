"""Daily operation: `ingest` keeps per-day partial aggregates, `analyse --state` reuses them.

A state directory holds one sub-directory per ingest ("batch") with:
  days.parquet     alerts and superfluous alerts per day, region, DMC signature and code
  devices.parquet  superfluous alerts per day, device and code (and alerts of unknown devices)
  carry.parquet    each device stream's last alert near the batch's final midnight
  meta.json        the days covered, counts, and the rules fingerprint
Partials name a DMC by its signature, so a later inventory re-maps them. History of a signature
the inventory no longer has is counted and reported (ScanSummary.unmapped_history_*), and left
out of the region traffic and the tests: the current inventory defines the estate.
Batches are written to a temporary directory and renamed into place, so a failed ingest leaves
nothing behind. A batch starting the day after an earlier batch ends reads that batch's carry, so
a repeat or flap spanning midnight counts exactly as it would in a one-shot run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from kir.tracker.engine import sql
from kir.tracker.engine.analyse import AnalyseRequest, Progress, handle_rejects
from kir.tracker.engine.connection import EngineSettings, engine_session
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.estate import load_estate
from kir.tracker.engine.inputs import AlertInputs, prepare_alerts
from kir.tracker.engine.rejects import Rejects, collect_alert_rejects, csv_structure_reject_count
from kir.tracker.engine.rules import Rules, load_rules
from kir.tracker.engine.scan import ScanSummary, split_scan_groups, summarise_scan


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


def _day_range(con: duckdb.DuckDBPyConnection, inputs: AlertInputs) -> tuple[date, date]:
    row = con.execute(
        f"SELECT min(ts_us), max(ts_us) FROM ({inputs.source_sql()}) WHERE valid"
    ).fetchone()
    if not row or row[0] is None:
        raise TrackerError("no valid alert rows to ingest")
    first, last = (datetime.fromtimestamp(v / 1_000_000, UTC).date() for v in row)
    return first, last


def _check_batch(existing: list[Batch], first: date, last: date, fingerprint: str) -> Path | None:
    """Refuse overlapping days or other rules; return the carry of the day before, if any."""
    carry = None
    for batch in existing:
        if batch.first_day <= last and first <= batch.last_day:
            raise TrackerError(
                f"days {batch.first_day} to {batch.last_day} are already ingested in {batch.path}"
            )
        if batch.fingerprint != fingerprint:
            raise TrackerError(f"{batch.path} was ingested with other rules")
        if batch.last_day == first - timedelta(days=1):
            carry = batch.path / "carry.parquet"
    return carry


@dataclass
class IngestRequest:
    inventory: Path
    alerts: Sequence[str | Path]
    state_dir: Path
    rules_path: Path | None = None
    max_rejects: int | None = None
    rejects_path: Path | None = None
    settings: EngineSettings | None = None
    progress: Progress | None = None


def ingest(request: IngestRequest) -> dict[str, Any]:
    rules = load_rules(request.rules_path)
    settings = request.settings or EngineSettings(rules.memory_limit, rules.threads)
    with engine_session(settings, prefix="kir-ingest-") as (con, work):
        return _ingest(con, request, rules, work)


def _ingest(
    con: duckdb.DuckDBPyConnection, request: IngestRequest, rules: Rules, work: Path
) -> dict[str, Any]:
    progress = request.progress or (lambda message: None)
    progress("reading the inventory")
    estate = load_estate(con, request.inventory, reject_sample=5)
    progress("flagging superfluous alerts")
    inputs = prepare_alerts(request.alerts, work)
    inputs.trust_canonical = False  # a day is small: normalise every id, no second pass
    first, last = _day_range(con, inputs)
    fingerprint = rules_fingerprint(rules)
    carry = _check_batch(batches(request.state_dir), first, last, fingerprint)
    source = sql.with_carry(inputs.source_sql(), str(carry) if carry else None)
    flagged = sql.flagged_alerts(source, rules, with_carry=True)
    con.execute(f"CREATE OR REPLACE TEMP TABLE flagged_rows AS {flagged}")
    aggregated = sql.aggregates("SELECT * FROM flagged_rows", day_from=None, day_to=None)
    con.execute(f"CREATE OR REPLACE TEMP TABLE scan_groups AS {aggregated}")
    split_scan_groups(con, by_day=True)
    summary = summarise_scan(con)
    rejects = Rejects()
    if summary.rejected_rows or csv_structure_reject_count(con):
        rejects = collect_alert_rejects(con, inputs, summary.invalid_codes)
    handle_rejects(
        AnalyseRequest(
            inventory=request.inventory,
            alerts=request.alerts,
            max_rejects=request.max_rejects,
            rejects_path=request.rejects_path,
        ),
        estate,
        rejects,
    )
    meta = _meta(first, last, fingerprint, summary, carry, inputs)
    end_us = _midnight_us(last + timedelta(days=1))
    carry_sql = sql.carry_out(end_us, rules.max_window_seconds() * 1_000_000)
    target = _write_batch(con, request.state_dir, meta, carry_sql)
    return {**meta, "batch": str(target)}


def _meta(
    first: date,
    last: date,
    fingerprint: str,
    summary: ScanSummary,
    carry: Path | None,
    inputs: AlertInputs,
) -> dict[str, Any]:
    return {
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "rules_fingerprint": fingerprint,
        "alerts": summary.alerts,
        "messages": summary.messages,
        "rejected_rows": summary.rejected_rows,
        "unknown_device_alerts": summary.unknown_device_alerts,
        "carried_in_from": str(carry) if carry else None,
        "files": [str(p) for p in inputs.files],
    }


def _midnight_us(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86_400 * 1_000_000


def _write_batch(
    con: duckdb.DuckDBPyConnection, state_dir: Path, meta: dict[str, Any], carry_sql: str
) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / f"{meta['first_day']}_{meta['last_day']}"
    staging = Path(tempfile.mkdtemp(prefix=".batch-", dir=state_dir))
    try:
        for name, query in (
            ("days", sql.partial_day_table()),
            ("devices", sql.partial_device_table()),
            ("carry", carry_sql),
        ):
            target_file = sql.quote(str(staging / f"{name}.parquet"))
            con.execute(f"COPY ({query}) TO {target_file} (FORMAT parquet)")
        (staging / "meta.json").write_text(json.dumps(meta, indent=2), "utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


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
    for statement in sql.window_from_partials(
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
