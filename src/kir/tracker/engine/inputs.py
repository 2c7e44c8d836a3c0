"""Finding and checking input files: formats, required columns, globs, DUIS conversion."""

from __future__ import annotations

import csv
import glob
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kir.tracker.engine import sql, sql_alerts
from kir.tracker.engine.duis import duis_to_parquet
from kir.tracker.engine.errors import InputFileError, MissingColumnError
from kir.tracker.engine.rules import InputLimits

INVENTORY_COLUMNS = (
    "device_id",
    "installation_id",
    "region",
    "supplier",
    "device_type",
    "manufacturer",
    "model",
    "hardware_version",
    "firmware_version",
)
ALERT_COLUMNS = ("device_id", "alert_code", "raised_at")
OPTIONAL_ALERT_COLUMNS = ("throttled_count",)
# What a Parquet alert column may hold, by kind; the SQL reads each kind its own way.
_PARQUET_KINDS = {
    "device_id": ("text",),
    "alert_code": ("text",),
    "raised_at": ("text", "timestamp"),
    "throttled_count": ("text", "integer"),
}
_KIND_NAMES = {"text": "text (string)", "timestamp": "a timestamp", "integer": "an integer"}


def file_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".txt.gz")):
        return "csv"
    if name.endswith((".xml", ".duis")):
        return "duis"
    raise InputFileError(path, "unknown format: expected .csv, .csv.gz, .parquet or .xml (DUIS)")


def expand_paths(patterns: Sequence[str | Path]) -> list[Path]:
    """Globs expanded and sorted; a pattern matching nothing is an error, not an empty input."""
    paths: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not matches:
            raise InputFileError(text, "no file matches this pattern")
        for match in matches:
            path = Path(match)
            if not path.is_file():
                raise InputFileError(path, "file not found")
            paths.append(path)
    return paths


def read_header(path: Path) -> list[str]:
    fmt = file_format(path)
    if fmt == "parquet":
        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:
            raise InputFileError(path, f"not a readable Parquet file: {exc}") from None
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as raw:
            first = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="").readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read: {exc}") from None
    return [name.strip() for name in next(csv.reader([first]), [])]


def _kind(kind: pa.DataType) -> str | None:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_null(kind):
        return "null"  # every value missing: any kind will do
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_integer(kind):
        return "integer"
    return None


def parquet_alert_kinds(path: Path) -> tuple[str, ...]:
    """The kind of each alert column (ALERT_COLUMNS, then throttled_count when there is one), or
    an error naming the first column whose type the engine cannot read."""
    schema = pq.read_schema(path)
    found = {
        name: (_kind(schema.field(name).type), str(schema.field(name).type))
        for name in schema.names
    }
    return checked_alert_kinds(path, found)


def checked_alert_kinds(
    where: str | Path, found: dict[str, tuple[str | None, str]]
) -> tuple[str, ...]:
    """The kinds of the alert columns in `found` ({column: (kind, type as written)}), in
    column order, or an error naming the first column of a type the engine cannot read."""
    kinds = []
    for column in (*ALERT_COLUMNS, *OPTIONAL_ALERT_COLUMNS):
        if column not in found:
            continue
        kind, written = found[column]
        allowed = _PARQUET_KINDS[column]
        if kind != "null" and kind not in allowed:
            expected = " or ".join(_KIND_NAMES[k] for k in allowed)
            raise InputFileError(where, f"column {column!r}: expected {expected}, found {written}")
        kinds.append(kind or "null")
    return tuple(kinds)


def check_columns(path: Path, found: list[str], required: Sequence[str]) -> None:
    for column in required:
        if column not in found:
            raise MissingColumnError(path, column, found)


@dataclass
class SourceGroup:
    """Files read by one table function: same format and the same columns."""

    fmt: str
    header: tuple[str, ...]
    paths: list[str] = field(default_factory=list)
    kinds: tuple[str, ...] = ()  # Parquet: parquet_alert_kinds of every file in the group

    def relation(self, *, store_rejects: bool = False) -> str:
        if self.fmt == "parquet":
            return sql.read_parquet(self.paths)
        return sql.read_csv(self.paths, self.header, store_rejects=store_rejects)

    @property
    def has_throttled(self) -> bool:
        return "throttled_count" in self.header

    @property
    def throttled_integer(self) -> bool:
        return self.has_throttled and self.kinds[-1:] == ("integer",)


@dataclass
class AlertInputs:
    files: list[Path]
    groups: list[SourceGroup]
    duis_messages: int = 0
    # Parquet device ids are hashed as written when they look canonical; scan.py turns this off
    # and rescans if that left any alert unmatched that normalising would have matched.
    trust_canonical: bool = True
    limits: InputLimits = field(default_factory=InputLimits)
    # The day "tomorrow" is counted from, fixed once so that the pass and the rejects agree.
    today: date = field(default_factory=lambda: datetime.now(UTC).date())

    def plausible(self, group: SourceGroup) -> sql_alerts.Plausible:
        start, end = self.limits.time_range(self.today)
        return sql_alerts.Plausible(
            start=start,
            end=end,
            max_throttled=self.limits.max_throttled_count,
            has_throttled=group.has_throttled,
            throttled_integer=group.throttled_integer,
        )

    def source_sql(self, raw_filter: str | None = None) -> str:
        """Typed alert rows of every file; raw_filter applies to the files' own columns."""
        parts = [
            sql_alerts.normalised_alerts(
                _filtered(group.relation(store_rejects=True), raw_filter),
                self.plausible(group),
                trust_canonical=self.trust_canonical and group.fmt == "parquet",
            )
            for group in self.groups
        ]
        return "\nUNION ALL\n".join(parts)


def _filtered(relation: str, raw_filter: str | None) -> str:
    return f"(SELECT * FROM {relation} WHERE {raw_filter})" if raw_filter else relation


def prepare_alerts(
    patterns: Sequence[str | Path], work_dir: Path, *, limits: InputLimits | None = None
) -> AlertInputs:
    """Check every alert file's columns (and a Parquet file's types) and convert DUIS XML to
    Parquet in work_dir."""
    files = expand_paths(patterns)
    groups: dict[tuple[str, tuple[object, ...]], SourceGroup] = {}
    duis_messages = 0
    for index, path in enumerate(files):
        fmt = kind = file_format(path)
        if fmt == "duis":
            converted = work_dir / f"duis-{index}.parquet"
            duis_messages += duis_to_parquet(path, converted)
            path, fmt = converted, "parquet"
        header = read_header(path)
        check_columns(path, header, ALERT_COLUMNS)
        # DUIS files stay a group of their own: their columns are all text. Parquet files are
        # grouped by their columns' kinds, so that one table function never unites a text
        # column with a timestamp.
        kinds = parquet_alert_kinds(path) if fmt == "parquet" else ()
        key = (kind, tuple(header) if fmt == "csv" else kinds)
        group = groups.setdefault(key, SourceGroup(fmt, tuple(header), kinds=kinds))
        group.paths.append(str(path))
    inputs = AlertInputs(files=files, groups=list(groups.values()), duis_messages=duis_messages)
    if limits is not None:
        inputs.limits = limits
    return inputs


def inventory_relation(path: Path) -> str:
    [checked] = expand_paths([path])
    header = read_header(checked)
    check_columns(checked, header, INVENTORY_COLUMNS)
    if file_format(checked) == "parquet":
        relation = sql.read_parquet([str(checked)], row_numbers=True)
        return sql.numbered_rows(relation, parquet=True)
    if file_format(checked) == "csv":
        return sql.numbered_rows(sql.read_csv([str(checked)], header), parquet=False)
    raise InputFileError(checked, "the inventory must be CSV or Parquet")
