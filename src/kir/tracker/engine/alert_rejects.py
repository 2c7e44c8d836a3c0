"""Malformed alert rows: find them again, each with its file, row, reason and kind.

This runs only when the main pass counted rejects, so the common case never pays for it. It reads
one file at a time on one thread, which keeps row numbers in file order.

Row N is a file's N-th data record after the header (Parquet: N-th row; DUIS: N-th message). A CSV
line DuckDB cannot split into the header's columns is dropped from what it returns and reported
in its reject tables by line number, so the numbers of the rows it returns are corrected for the
dropped lines of that file; empty lines, which DuckDB skips but counts, are not records.
"""

from __future__ import annotations

import bisect
import csv
import gzip
from dataclasses import replace
from datetime import timedelta
from typing import TextIO

import duckdb

from kir.tracker.engine import sql
from kir.tracker.engine.inputs import AlertInputs, SourceGroup
from kir.tracker.engine.rejects import Reject, RejectKind, Rejects
from kir.tracker.engine.sql_alerts import Plausible


def reason_sql(bad_codes: list[str], plausible: Plausible) -> str:
    bad = ", ".join(sql.quote(c) for c in bad_codes) or "NULL"
    timestamp = "epoch_us(TRY_CAST(raised_at AS TIMESTAMPTZ))"
    first, last = plausible.start.date(), plausible.end.date() - timedelta(days=1)
    return (
        "CASE WHEN device_id IS NULL OR trim(CAST(device_id AS VARCHAR)) = '' "
        "THEN 'device_id: empty' "
        f"WHEN ({sql.canonical_device_id('CAST(device_id AS VARCHAR)')}) IS NULL "
        "THEN 'device_id: expected an EUI-64 (16 hex digits)' "
        "WHEN alert_code IS NULL OR trim(CAST(alert_code AS VARCHAR)) = '' "
        "THEN 'alert_code: empty' "
        f"WHEN upper(trim(CAST(alert_code AS VARCHAR))) IN ({bad}) "
        "THEN 'alert_code: expected a 4-hex Device Alert code or a DCC Alert code' "
        "WHEN TRY_CAST(raised_at AS TIMESTAMPTZ) IS NULL "
        "THEN 'raised_at: expected an ISO-8601 timestamp with zone' "
        f"WHEN NOT {plausible.time_sql(timestamp)} "
        f"THEN 'raised_at: out of range: expected a day from {first} to {last} (UTC)' "
        f"WHEN ({plausible.throttled_sql()}) < 1 THEN 'throttled_count: expected a whole "
        f"number from 1 to {plausible.max_throttled}' END"
    )


def _file_rejects(
    con: duckdb.DuckDBPyConnection,
    inputs: AlertInputs,
    group: SourceGroup,
    path: str,
    bad_codes: list[str],
    label: str,
) -> list[Reject]:
    single = SourceGroup(group.fmt, group.header, [path], kinds=group.kinds)
    throttled = "CAST(throttled_count AS VARCHAR)" if group.has_throttled else "NULL"
    row = "duis_message" if "duis_message" in group.header else "row_number() OVER ()"
    query = f"""
        SELECT * FROM (
            SELECT {row} AS row, {reason_sql(bad_codes, inputs.plausible(group))} AS reason,
                   CAST(device_id AS VARCHAR) AS device_id, CAST(alert_code AS VARCHAR) AS code,
                   CAST(raised_at AS VARCHAR) AS raised_at, {throttled} AS throttled
            FROM {single.relation(store_rejects=True)}
        ) WHERE reason IS NOT NULL ORDER BY row"""
    since = _last_scan_id(con)
    rows = [
        Reject(RejectKind.ALERT_VALUE, label, int(row), reason, device, code, raised, throttled)
        for row, reason, device, code, raised, throttled in con.execute(query).fetchall()
    ]
    if group.fmt != "csv":
        return rows
    unsplit = _unsplit_lines(con, since)
    if not unsplit:
        return rows  # nothing was dropped: the n-th row DuckDB returned is the n-th record
    # DuckDB dropped the lines it could not split, so row_number() counts only the rows it
    # kept; put the dropped ones back to number every row as the file does.
    records = _RecordNumbers(sorted(unsplit), _empty_lines(path))
    rows = [replace(reject, row=records.kept(reject.row)) for reject in rows]
    rows += [
        Reject(RejectKind.CSV_LINE, label, records.of_line(line), f"malformed CSV line: {message}")
        for line, message in sorted(unsplit.items())
    ]
    return sorted(rows, key=lambda reject: reject.row)


def collect_alert_rejects(
    con: duckdb.DuckDBPyConnection, inputs: AlertInputs, *, counted: int, bad_codes: list[str]
) -> Rejects:
    """The `counted` rows the main pass rejected, and the CSV lines it could not split, each with
    its file, row and reason."""
    rejects = Rejects()
    if not counted and not csv_structure_reject_count(con):
        return rejects
    labels = _labels(inputs)
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = true")
    try:
        for group in inputs.groups:
            for path in group.paths:
                label = labels.get(path, path)
                rejects.rows += _file_rejects(con, inputs, group, path, bad_codes, label)
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


def _last_scan_id(con: duckdb.DuckDBPyConnection) -> int:
    try:
        result = con.execute("SELECT max(scan_id) FROM reject_scans").fetchone()
    except duckdb.CatalogException:
        return -1
    return -1 if result is None or result[0] is None else int(result[0])


def _unsplit_lines(con: duckdb.DuckDBPyConnection, since: int) -> dict[int, str]:
    """The lines DuckDB's CSV reader rejected in the scans after `since`: {line: message}.

    DuckDB's line numbers count the header and every record (a quoted value over several lines
    is one) and also the empty lines it skips.
    """
    try:
        found = con.execute(
            "SELECT e.line, e.error_message FROM reject_errors e JOIN reject_scans s "
            "USING (scan_id, file_id) WHERE e.scan_id > ? ORDER BY e.line, e.byte_position",
            [since],
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    lines: dict[int, str] = {}
    for line, message in found:
        lines.setdefault(int(line), str(message).splitlines()[0])
    return lines


def _empty_lines(path: str) -> list[int]:
    """DuckDB's line numbers of the file's empty lines, which its CSV reader skips.

    DuckDB does not say where they are, and reading the file as single lines would split a
    quoted value that runs over lines, so Python's CSV reader (which splits records as DuckDB
    does) finds them, only in the rare file that has both lines DuckDB could not split and an
    empty line.
    """
    if not _may_have_empty_lines(path):
        return []
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        with _open_text(path) as handle:
            records = csv.reader(handle, delimiter=",", quotechar='"', doublequote=True)
            # The header is DuckDB's line 1, and each record or empty line one more.
            return [number for number, record in enumerate(records, start=1) if not record]
    finally:
        csv.field_size_limit(limit)


def _open_text(path: str) -> TextIO:
    # Latin-1 decodes any byte; the separators and quotes are ASCII, so records split alike.
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="latin-1", newline="")
    return open(path, encoding="latin-1", newline="")


def _may_have_empty_lines(path: str) -> bool:
    """Whether two line ends follow each other anywhere (a fast scan of the bytes)."""
    opener = gzip.open if path.lower().endswith(".gz") else open
    tail = b""
    with opener(path, "rb") as handle:
        while chunk := handle.read(1 << 24):
            window = tail + chunk
            if b"\n\n" in window or b"\n\r\n" in window or b"\r\r" in window:
                return True
            tail = window[-2:]
    return False


class _Gaps:
    """Numbering around taken numbers: the n-th positive integer not in `taken`."""

    def __init__(self, taken: list[int]):
        # Before the j-th taken number (0-based) come taken[j] - j - 1 free numbers; the n-th
        # free number is n plus the count of taken numbers with fewer than n before them.
        self._free_before = [t - j - 1 for j, t in enumerate(sorted(set(taken)))]

    def nth_free(self, n: int) -> int:
        return n + bisect.bisect_left(self._free_before, n)


class _RecordNumbers:
    """1-based record numbers after the header, from DuckDB's line numbers.

    A record is a row DuckDB returned or a line it rejected; empty lines are not records.
    """

    def __init__(self, unsplit_lines: list[int], empty_lines: list[int]):
        self._empty = sorted(empty_lines)
        self._unsplit = _Gaps([self.of_line(line) for line in unsplit_lines])

    def of_line(self, line: int) -> int:
        """The record number of the record on DuckDB's line `line`."""
        return line - 1 - bisect.bisect_left(self._empty, line)

    def kept(self, n: int) -> int:
        """The record number of the n-th row DuckDB returned."""
        return self._unsplit.nth_free(n)


def csv_structure_reject_count(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute("SELECT count(DISTINCT (scan_id, file_id, line)) FROM reject_errors")
        result = row.fetchone()
    except duckdb.CatalogException:
        return 0
    return int(result[0]) if result else 0
