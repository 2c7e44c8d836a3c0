"""Finding and checking input files: formats, required columns, globs, DUIS conversion."""

from __future__ import annotations

import csv
import glob
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from kir.tracker.engine import sql, sql_alerts
from kir.tracker.engine.duis import duis_to_parquet
from kir.tracker.engine.errors import InputFileError, MissingColumnError

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

    def relation(self, *, store_rejects: bool = False) -> str:
        if self.fmt == "parquet":
            return sql.read_parquet(self.paths)
        return sql.read_csv(self.paths, self.header, store_rejects=store_rejects)

    @property
    def has_throttled(self) -> bool:
        return "throttled_count" in self.header


@dataclass
class AlertInputs:
    files: list[Path]
    groups: list[SourceGroup]
    duis_messages: int = 0
    # Parquet device ids are hashed as written when they look canonical; scan.py turns this off
    # and rescans if that left any alert unmatched that normalising would have matched.
    trust_canonical: bool = True

    def source_sql(self, raw_filter: str | None = None) -> str:
        """Typed alert rows of every file; raw_filter applies to the files' own columns."""
        parts = [
            sql_alerts.normalised_alerts(
                _filtered(group.relation(store_rejects=True), raw_filter),
                has_throttled=group.has_throttled,
                trust_canonical=self.trust_canonical and group.fmt == "parquet",
            )
            for group in self.groups
        ]
        return "\nUNION ALL\n".join(parts)


def _filtered(relation: str, raw_filter: str | None) -> str:
    return f"(SELECT * FROM {relation} WHERE {raw_filter})" if raw_filter else relation


def prepare_alerts(patterns: Sequence[str | Path], work_dir: Path) -> AlertInputs:
    """Check every alert file's columns and convert DUIS XML to Parquet in work_dir."""
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
        # DUIS files stay a group of their own: their columns are all text.
        key = (kind, tuple(header) if fmt == "csv" else ("throttled_count" in header,))
        group = groups.setdefault(key, SourceGroup(fmt, tuple(header)))
        group.paths.append(str(path))
    return AlertInputs(files=files, groups=list(groups.values()), duis_messages=duis_messages)


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
