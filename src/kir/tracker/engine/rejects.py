"""Malformed rows: find them again with their file and row, write them with their reason.

This runs only when the main pass counted rejects, so the common case never pays for it. It reads
one file at a time on one thread, which keeps row numbers in file order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kir.tracker.engine import sql
from kir.tracker.engine.inputs import AlertInputs, SourceGroup

REJECT_FIELDS = ("file", "row", "reason", "device_id", "alert_code", "raised_at", "throttled_count")


@dataclass
class Rejects:
    rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=REJECT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)
        tmp.replace(path)


def _reason_sql(bad_codes: list[str], has_throttled: bool) -> str:
    bad = ", ".join(sql.quote(c) for c in bad_codes) or "NULL"
    throttled = (
        "WHEN throttled_count IS NOT NULL "
        "AND coalesce(TRY_CAST(throttled_count AS INTEGER), 0) < 1 "
        "THEN 'throttled_count: expected a whole number >= 1' "
        if has_throttled
        else ""
    )
    return (
        "CASE WHEN device_id IS NULL OR trim(CAST(device_id AS VARCHAR)) = '' "
        "THEN 'device_id: empty' "
        f"WHEN ({sql.canonical_device_id('CAST(device_id AS VARCHAR)')}) IS NULL "
        "THEN 'device_id: expected an EUI-64 (16 hex digits)' "
        "WHEN alert_code IS NULL OR trim(alert_code) = '' THEN 'alert_code: empty' "
        f"WHEN upper(trim(alert_code)) IN ({bad}) "
        "THEN 'alert_code: expected a 4-hex Device Alert code or a DCC Alert code' "
        "WHEN TRY_CAST(raised_at AS TIMESTAMPTZ) IS NULL "
        "THEN 'raised_at: expected an ISO-8601 timestamp with zone' "
        f"{throttled}END"
    )


def _file_rejects(
    con: duckdb.DuckDBPyConnection, group: SourceGroup, path: str, bad_codes: list[str], label: str
) -> list[dict[str, object]]:
    single = SourceGroup(group.fmt, group.header, [path])
    throttled = "CAST(throttled_count AS VARCHAR)" if group.has_throttled else "NULL"
    row = "duis_message" if "duis_message" in group.header else "row_number() OVER ()"
    query = f"""
        SELECT * FROM (
            SELECT {row} AS row, {_reason_sql(bad_codes, group.has_throttled)} AS reason,
                   CAST(device_id AS VARCHAR) AS device_id, CAST(alert_code AS VARCHAR) AS code,
                   CAST(raised_at AS VARCHAR) AS raised_at, {throttled} AS throttled
            FROM {single.relation(store_rejects=True)}
        ) WHERE reason IS NOT NULL ORDER BY row"""
    return [
        dict(zip(REJECT_FIELDS, (label, *values), strict=True))
        for values in con.execute(query).fetchall()
    ]


def collect_alert_rejects(
    con: duckdb.DuckDBPyConnection, inputs: AlertInputs, bad_codes: list[str]
) -> Rejects:
    rejects = Rejects()
    labels = _labels(inputs)
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = true")
    try:
        for group in inputs.groups:
            for path in group.paths:
                rejects.rows += _file_rejects(con, group, path, bad_codes, labels.get(path, path))
        rejects.rows += _csv_structure_rejects(con)
    finally:
        con.execute("RESET threads")
        con.execute("SET preserve_insertion_order = false")
    return rejects


def _labels(inputs: AlertInputs) -> dict[str, str]:
    """DUIS files are read through their Parquet conversion; name the XML file in messages."""
    labels: dict[str, str] = {}
    for index, original in enumerate(inputs.files):
        labels[str(original)] = str(original)
        for group in inputs.groups:
            for path in group.paths:
                if path.endswith(f"duis-{index}.parquet"):
                    labels[path] = f"{original} (DUIS message)"
    return labels


def _csv_structure_rejects(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Lines DuckDB's CSV reader could not split into the header's columns."""
    try:
        rows = con.execute(
            "SELECT s.file_path, e.line, e.error_message FROM reject_errors e "
            "JOIN reject_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    seen: set[tuple[str, int]] = set()
    out: list[dict[str, object]] = []
    for file_path, line, message in rows:
        if (file_path, line) in seen:
            continue
        seen.add((file_path, line))
        reason = f"malformed CSV line: {str(message).splitlines()[0]}"
        out.append({"file": file_path, "row": int(line) - 1, "reason": reason})
    return out


def csv_structure_reject_count(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute("SELECT count(DISTINCT (scan_id, file_id, line)) FROM reject_errors")
        result = row.fetchone()
    except duckdb.CatalogException:
        return 0
    return int(result[0]) if result else 0
