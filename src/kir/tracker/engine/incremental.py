"""Daily operation: `ingest` adds a batch of per-day partial aggregates to a state directory.

The directory's layout, and how `analyse --state` reads it, are in state.py. Batches are written
to a temporary directory and renamed into place, so a failed ingest leaves nothing behind. A
batch starting the day after an earlier batch ends reads that batch's carry, so a repeat or flap
spanning midnight counts exactly as it would in a one-shot run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from kir.tracker.engine import sql, sql_alerts, sql_state
from kir.tracker.engine.alert_rejects import collect_alert_rejects
from kir.tracker.engine.connection import EngineSettings, engine_session
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.estate import load_estate
from kir.tracker.engine.inputs import AlertInputs, prepare_alerts
from kir.tracker.engine.progress import Progress, silent
from kir.tracker.engine.rejects import REJECT_SAMPLE, handle_rejects
from kir.tracker.engine.rules import Rules, load_rules
from kir.tracker.engine.scan import ScanSummary, split_scan_groups, summarise_scan
from kir.tracker.engine.state import Batch, batches, rules_fingerprint


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
    progress = request.progress or silent
    progress("reading the inventory")
    estate = load_estate(con, request.inventory, reject_sample=REJECT_SAMPLE)
    progress("flagging superfluous alerts")
    inputs = prepare_alerts(request.alerts, work, limits=rules.inputs)
    inputs.trust_canonical = False  # a day is small: normalise every id, no second pass
    first, last = _day_range(con, inputs)
    fingerprint = rules_fingerprint(rules)
    carry = _check_batch(batches(request.state_dir), first, last, fingerprint)
    source = sql_state.with_carry(inputs.source_sql(), str(carry) if carry else None)
    flagged = sql_alerts.flagged_alerts(source, rules, with_carry=True)
    con.execute(f"CREATE OR REPLACE TEMP TABLE flagged_rows AS {flagged}")
    aggregated = sql_alerts.aggregates("SELECT * FROM flagged_rows", day_from=None, day_to=None)
    con.execute(f"CREATE OR REPLACE TEMP TABLE scan_groups AS {aggregated}")
    split_scan_groups(con)
    summary = summarise_scan(con)
    rejects = collect_alert_rejects(
        con, inputs, counted=summary.rejected_rows, bad_codes=summary.invalid_codes
    )
    handle_rejects(request, estate, rejects)
    meta = _meta(first, last, fingerprint, summary, carry, inputs)
    end_us = _midnight_us(last + timedelta(days=1))
    carry_sql = sql_state.carry_out(end_us, rules.max_window_seconds() * 1_000_000)
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
            ("days", sql_state.partial_day_table()),
            ("devices", sql_state.partial_device_table()),
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
