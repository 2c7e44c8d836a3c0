"""Orchestration: inventory and alerts (or ingested days) in, a report dict out."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from kir.tracker.engine import sql_cells
from kir.tracker.engine.alert_rejects import collect_alert_rejects
from kir.tracker.engine.cells import CellTable, load_cells
from kir.tracker.engine.connection import EngineSettings, engine_session
from kir.tracker.engine.daily import create_wanted, daily_series, timing_fields
from kir.tracker.engine.disclosure import (
    AUDIENCES,
    apply_disclosure,
    drilldown_allowed,
    suppression_reason,
)
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.estate import Estate, load_estate
from kir.tracker.engine.findings import Finding, build_findings, describe
from kir.tracker.engine.inputs import prepare_alerts
from kir.tracker.engine.progress import Progress, silent
from kir.tracker.engine.rejects import REJECT_SAMPLE, RejectKind, Rejects, handle_rejects
from kir.tracker.engine.rules import Rules, load_rules
from kir.tracker.engine.scan import ScanSummary, scan_alerts
from kir.tracker.engine.state import load_window


@dataclass
class AnalyseRequest:
    inventory: Path
    alerts: Sequence[str | Path] = ()
    state_dir: Path | None = None
    day_from: date | None = None
    day_to: date | None = None
    rules_path: Path | None = None
    audience: str = "dcc"
    supplier: str | None = None
    max_rejects: int | None = None
    rejects_path: Path | None = None
    settings: EngineSettings | None = None
    progress: Progress = silent
    # For the web app, which stores every audience's view at once: the report gains "views",
    # each finding's suppression reason for parties and these suppliers' own drill-downs.
    views: bool = False
    view_suppliers: Sequence[str] = ()


def window_days(first: date | None, last: date | None) -> list[date]:
    if first is None or last is None:
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _check(request: AnalyseRequest) -> None:
    if request.audience not in AUDIENCES:
        raise TrackerError(f"--audience must be one of {', '.join(AUDIENCES)}")
    if bool(request.alerts) == bool(request.state_dir):
        raise TrackerError("give either alert files or an ingest state directory")
    if request.day_from and request.day_to and request.day_from > request.day_to:
        raise TrackerError("--from is after --to")


def analyse(request: AnalyseRequest) -> dict[str, Any]:
    _check(request)
    # Fisher's test needs scipy.stats, a 0.4 s import: done in a thread while DuckDB reads the
    # inventory and the alerts (DuckDB releases the GIL), it costs no wall time.
    threading.Thread(target=importlib.import_module, args=("scipy.stats",), daemon=True).start()
    rules = load_rules(request.rules_path)
    settings = request.settings or EngineSettings(rules.memory_limit, rules.threads)
    with engine_session(settings, prefix="kir-tracker-") as (con, work):
        return _run(con, request, rules, work)


def _timed(progress: Progress, label: str) -> Callable[[], None]:
    start = time.monotonic()
    progress(f"{label}...")
    return lambda: progress(f"{label}: done in {time.monotonic() - start:.1f} s")


def _run(
    con: duckdb.DuckDBPyConnection, request: AnalyseRequest, rules: Rules, work: Path
) -> dict[str, Any]:
    done = _timed(request.progress, "reading the inventory")
    estate = load_estate(con, request.inventory, reject_sample=REJECT_SAMPLE)
    done()
    done = _timed(request.progress, "flagging superfluous alerts")
    if request.state_dir is not None:
        summary = load_window(con, request.state_dir, rules, request.day_from, request.day_to)
        rejects = Rejects()
    else:
        inputs = prepare_alerts(request.alerts, work)
        summary = scan_alerts(con, inputs, rules, day_from=request.day_from, day_to=request.day_to)
        rejects = collect_alert_rejects(
            con, inputs, counted=summary.rejected_rows, bad_codes=summary.invalid_codes
        )
    done()
    handle_rejects(request, estate, rejects)
    days = window_days(request.day_from or summary.first_day, request.day_to or summary.last_day)
    done = _timed(request.progress, "testing region x code x DMC cells")
    table = load_cells(con, rules, days, estate.dmcs)
    findings = build_findings(table, estate.dmcs, rules)
    done()
    create_wanted(con, findings)
    drill = _drilldowns(con, findings, rules, request.audience, request.supplier)
    series = daily_series(con, findings, table)
    reasons = [suppression_reason(estate, f.region, f.dmc_keys, rules) for f in findings]
    shown = [
        apply_disclosure(
            describe(f, table, estate.dmcs, rules) | timing_fields(f, table) | {"daily": series[i]},
            audience=request.audience,
            reason=reasons[i],
            drilldown=drill[i] if drill is not None else None,
        )
        for i, f in enumerate(findings)
    ]
    report = _report(request, rules, estate, summary, rejects, days, shown, table)
    if request.views:
        report["views"] = _views(con, findings, rules, request, reasons)
    return report


def _views(
    con: duckdb.DuckDBPyConnection,
    findings: list[Finding],
    rules: Rules,
    request: AnalyseRequest,
    reasons: list[str | None],
) -> dict[str, Any]:
    """Per finding: why parties see it suppressed (None: they see its figures), and each
    supplier's own device rows (what `--audience parties --supplier S` shows as "devices")."""
    suppliers = {}
    for supplier in request.view_suppliers:
        rows = _drilldowns(con, findings, rules, "parties", supplier) or {}
        suppliers[supplier] = [rows.get(i, []) for i in range(len(findings))]
    return {"suppression_reasons": reasons, "supplier_devices": suppliers}


def _drilldowns(
    con: duckdb.DuckDBPyConnection,
    findings: list[Finding],
    rules: Rules,
    audience: str,
    supplier: str | None,
) -> dict[int, list[dict[str, Any]]] | None:
    """Device-level rows per finding, in one query (on `wanted`); None when the audience may not
    see them."""
    if not drilldown_allowed(audience, supplier):
        return None
    rows: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(findings))}
    query = sql_cells.drilldown(supplier, rules.drilldown_limit)
    for index, device_id, installation, supplier, count in con.execute(query).fetchall():
        rows[index].append(
            {
                "device_id": device_id,
                "installation_id": installation,
                "supplier": supplier,
                "superfluous_alerts": int(count),
            }
        )
    return rows


def _notes(
    request: AnalyseRequest, estate: Estate, summary: ScanSummary, rejected: int
) -> list[str]:
    notes = []
    if summary.unknown_device_alerts:
        notes.append(
            f"{summary.unknown_device_alerts} alerts came from {summary.unknown_devices} "
            "devices missing from the inventory; they are left out of the tests"
        )
    unmapped_alerts, unmapped_dmcs = summary.unmapped_history_alerts, summary.unmapped_history_dmcs
    if unmapped_alerts:
        signatures = "signature" if unmapped_dmcs == 1 else "signatures"
        notes.append(
            f"{unmapped_alerts} alerts from {unmapped_dmcs} DMC {signatures} no longer in the "
            "inventory were left out of the tests and of region_traffic (ingested days name "
            "DMCs by signature; the current inventory defines the estate)"
        )
    if rejected or estate.rejected_rows:
        where = f" (see {request.rejects_path})" if request.rejects_path else ""
        notes.append(
            f"{rejected} alert rows and {estate.rejected_rows} inventory rows were "
            f"malformed and left out{where}"
        )
    return notes


def _inputs(
    request: AnalyseRequest, estate: Estate, summary: ScanSummary, rejects: Rejects, rejected: int
) -> dict[str, Any]:
    written = request.rejects_path and (rejects.count or estate.rejected_rows)
    return {
        "inventory": {
            "file": str(request.inventory),
            "devices": estate.devices,
            "installations": estate.installations,
            "dmcs": len(estate.dmcs),
            "rejected_rows": estate.rejected_rows,
        },
        "alerts": {
            "files": [str(p) for p in request.alerts],
            "messages": summary.messages,
            "alerts": summary.alerts,
            "rejected_rows": rejected,
            "unknown_device_alerts": summary.unknown_device_alerts,
            "unknown_devices": summary.unknown_devices,
            "unknown_device_sample": summary.unknown_device_sample,
            "unmapped_history_alerts": summary.unmapped_history_alerts,
            "unmapped_history_dmcs": summary.unmapped_history_dmcs,
        },
        "rejects_file": str(request.rejects_path) if written else None,
        "rejects_sample": [str(r) for r in rejects.rows[:REJECT_SAMPLE]],
    }


def _report(
    request: AnalyseRequest,
    rules: Rules,
    estate: Estate,
    summary: ScanSummary,
    rejects: Rejects,
    days: list[date],
    findings: list[dict[str, Any]],
    table: CellTable,
) -> dict[str, Any]:
    # Lines the CSV reader could not split never reached the pass's own count.
    unsplit = rejects.count_of(RejectKind.CSV_LINE)
    rejected = summary.rejected_rows + unsplit
    return {
        "window": {
            "from": days[0].isoformat() if days else None,
            "to": days[-1].isoformat() if days else None,
            "days": len(days),
        },
        "rules": rules.to_json(),
        "audience": request.audience,
        "supplier": request.supplier,
        "inputs": _inputs(request, estate, summary, rejects, rejected),
        "region_traffic": table.region_alerts,
        "findings": findings,
        "notes": _notes(request, estate, summary, rejected),
    }
