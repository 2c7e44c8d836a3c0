"""Reading and checking a Central Products List extract (CSV or XLSX) before anything is imported.

No database access here: `parse_cpl_file` turns a file into typed rows plus every problem found,
so the import service can refuse the whole file when any row is bad. Row numbers are the ones a
spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zipfile import BadZipFile, ZipFile

from kir.catalogue.models import CplStatus, DeviceType
from kir.identifiers import (
    IdentifierError,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)

COLUMNS = (
    "cpl_entry_id",
    "manufacturer_id",
    "manufacturer_name",
    "model_id",
    "model_name",
    "device_type",
    "smets_version",
    "hardware_version",
    "firmware_version",
    "cpl_status",
    "listed_on",
    "removed_on",
)
OPTIONAL_COLUMNS = frozenset({"removed_on"})
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)

# Limits on a CPL file, checked before or while it is read so that a hostile or mistaken file
# cannot take unbounded memory: today's CPL has a few thousand entries and no cell longer than a
# model name. An XLSX file is a zip archive: its unpacked size is checked before openpyxl reads it.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CELL_CHARACTERS = 1000

_ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,39}$")
_HARDWARE_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,7}$")
_TEXT_LIMITS = {"manufacturer_name": 200, "model_name": 200, "smets_version": 20}
_HEX_FIELDS = {
    "manufacturer_id": (normalise_manufacturer_id, "4 hex digits, e.g. 10A5"),
    "model_id": (normalise_model_id, "8 hex digits, e.g. 0001A2F3"),
    "firmware_version": (normalise_firmware_version, "8 hex digits, e.g. 00020104"),
}


class CplFileError(Exception):
    """The file as a whole cannot be read: unknown format, unreadable, missing columns.

    The message leaves out the file name; the caller knows how the user named the file.
    """


@dataclass(frozen=True)
class CplProblem:
    row: int
    column: str
    reason: str
    expected: str

    def format(self, source: str) -> str:
        where = f"{source}:row {self.row}: column {self.column}"
        return f"{where}: {self.reason} (expected {self.expected})"


@dataclass(frozen=True)
class CplRow:
    row: int
    cpl_entry_id: str
    manufacturer_id: str
    manufacturer_name: str
    model_id: str
    model_name: str
    device_type: str
    smets_version: str
    hardware_version: str
    firmware_version: str
    cpl_status: str
    listed_on: date
    removed_on: date | None

    @property
    def model_key(self) -> tuple[str, str]:
        return (self.manufacturer_id, self.model_id)

    @property
    def device_key(self) -> tuple[str, str, str, str]:
        return (self.manufacturer_id, self.model_id, self.hardware_version, self.firmware_version)


@dataclass
class CplParseResult:
    rows: list[CplRow] = field(default_factory=list)
    problems: list[CplProblem] = field(default_factory=list)


# A raw cell: text, or what openpyxl stored (numbers and dates lose their written form).
Cell = str | int | float | date | datetime | None


def parse_cpl_file(path: Path) -> CplParseResult:
    header, records = read_table(path)
    return parse_cpl_records(header, records)


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Cell]]]]:
    """The header and the (row number, cells) of each non-empty row of a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".xlsx", ".xlsm"}:
        _check_size(path)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    raise CplFileError(f"unknown file type {suffix or '(none)'} (expected .csv or .xlsx)")


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CplFileError(f"cannot be read: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise CplFileError(f"the file has {size} bytes (expected at most {MAX_FILE_BYTES})")


def _non_empty_rows(rows: Iterator[list[Cell]]) -> Iterator[tuple[int, list[Cell]]]:
    """Number the rows (the header is row 1) and drop empty ones, refusing a file with more
    than MAX_ROWS rows as soon as the row after the last allowed one is read."""
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise CplFileError(f"more than {MAX_ROWS} rows (expected at most {MAX_ROWS} entries)")
        if any(cell is not None and str(cell).strip() for cell in cells):
            yield number, cells


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Cell]]]]:
    try:
        # utf-8-sig: Excel writes a byte-order mark at the start of "CSV UTF-8" files.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CplFileError(
            f"not UTF-8 text at byte {error.start} (expected a UTF-8 CSV file)"
        ) from None
    except OSError as error:
        raise CplFileError(f"cannot be read: {error.strerror}") from None
    # The csv module refuses a field over 128 KiB with an error naming neither row nor column.
    # The file's size bounds every field; a long cell is then reported by its row and column.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CplFileError("the file is empty (expected a header row)") from None
    rows = list(_non_empty_rows(list(cells) for cells in reader))
    return header, iter(rows)


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Cell]]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
        raise CplFileError(f"not a readable XLSX workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        # Streamed: a file over MAX_ROWS is refused when its first extra row is read.
        sheet_rows = (list(cells) for cells in sheet.iter_rows(values_only=True))
        first = next(sheet_rows, None)
        if first is None:
            raise CplFileError("the first sheet is empty (expected a header row)")
        header = ["" if cell is None else str(cell) for cell in first]
        rows = list(_non_empty_rows(sheet_rows))  # type: ignore[arg-type]
    finally:
        workbook.close()
    return header, iter(rows)


def _check_unpacked_size(path: Path) -> None:
    try:
        with ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (BadZipFile, OSError) as error:
        raise CplFileError(f"not a readable XLSX workbook ({error})") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise CplFileError(
            f"the workbook unpacks to {unpacked} bytes (expected at most {MAX_XLSX_UNPACKED_BYTES})"
        )


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def column_positions(header: list[str]) -> dict[str, int]:
    """Where each known column is; header names are matched case-insensitively."""
    positions: dict[str, int] = {}
    duplicated: list[str] = []
    for index, name in enumerate(header):
        key = _header_key(name)
        if key in COLUMNS:
            if key in positions:
                duplicated.append(key)
            positions[key] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise CplFileError(
            f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(expected a header row with {', '.join(COLUMNS)})"
        )
    if duplicated:
        raise CplFileError(f"column {', '.join(duplicated)} appears more than once in the header")
    return positions


def parse_cpl_records(
    header: list[str], records: Iterator[tuple[int, list[Cell]]]
) -> CplParseResult:
    positions = column_positions(header)
    result = CplParseResult()
    for number, cells in records:
        values = {
            column: cells[index] if index < len(cells) else None
            for column, index in positions.items()
        }
        row, problems = parse_row(number, values)
        result.problems.extend(problems)
        if row is not None:
            result.rows.append(row)
    result.problems.extend(cross_row_problems(result.rows))
    result.problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column)))
    return result


def _as_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


class _RowChecker:
    """Collects every problem of one row instead of stopping at the first."""

    def __init__(self, number: int, values: dict[str, Cell]) -> None:
        self.number = number
        self.values = values
        self.problems: list[CplProblem] = []

    def fail(self, column: str, reason: str, expected: str) -> None:
        self.problems.append(CplProblem(self.number, column, reason, expected))

    def text(self, column: str, *, required: bool = True) -> str:
        value = _as_text(self.values.get(column))
        if len(value) > MAX_CELL_CHARACTERS:
            # Checked first, so no other message quotes a huge value.
            self.fail(
                column,
                f"too long ({len(value)} characters)",
                f"at most {MAX_CELL_CHARACTERS} characters",
            )
            return ""
        if "\x00" in value:
            # Neither database stores one; PostgreSQL refuses it outright.
            self.fail(column, "contains a NUL character", "printable text")
            return ""
        if required and not value:
            self.fail(column, "missing value", "a value in every row")
        return value

    def hex_id(self, column: str) -> str:
        normalise, expected = _HEX_FIELDS[column]
        raw = self.text(column)
        if not raw:
            return ""
        try:
            return normalise(raw)
        except IdentifierError:
            reason = f"{raw!r} is not {expected.split(',')[0]}"
            if isinstance(self.values.get(column), int | float):
                reason += " (the spreadsheet stored it as a number and dropped leading zeros)"
            self.fail(column, reason, expected)
            return ""

    def choice(self, column: str, allowed: list[str], *, upper: bool) -> str:
        raw = self.text(column)
        value = raw.upper() if upper else raw.lower()
        if raw and value not in allowed:
            self.fail(column, f"unknown value {raw!r}", f"one of {', '.join(allowed)}")
            return ""
        return value

    def day(self, column: str, *, required: bool = True) -> date | None:
        cell = self.values.get(column)
        if isinstance(cell, datetime):
            return cell.date()
        if isinstance(cell, date):
            return cell
        raw = self.text(column, required=required)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.fail(column, f"{raw!r} is not a date", "an ISO date YYYY-MM-DD, e.g. 2024-03-01")
            return None

    def pattern(self, column: str, regex: re.Pattern[str], expected: str) -> str:
        raw = self.text(column)
        if raw and not regex.match(raw):
            self.fail(column, f"{raw!r} is not allowed here", expected)
            return ""
        return raw

    def limited(self, column: str) -> str:
        raw = self.text(column)
        limit = _TEXT_LIMITS[column]
        if len(raw) > limit:
            self.fail(column, f"too long ({len(raw)} characters)", f"at most {limit} characters")
            return ""
        return raw


def parse_row(number: int, values: dict[str, Cell]) -> tuple[CplRow | None, list[CplProblem]]:
    check = _RowChecker(number, values)
    entry_id = check.pattern(
        "cpl_entry_id", _ENTRY_ID, "up to 40 letters, digits, '.', '_', '/' or '-'"
    )
    fields = {
        "manufacturer_id": check.hex_id("manufacturer_id"),
        "manufacturer_name": check.limited("manufacturer_name"),
        "model_id": check.hex_id("model_id"),
        "model_name": check.limited("model_name"),
        "device_type": check.choice("device_type", DeviceType.values, upper=True),
        "smets_version": check.limited("smets_version"),
        "hardware_version": check.pattern(
            "hardware_version", _HARDWARE_VERSION, "up to 8 letters, digits, '.' or '-'"
        ).upper(),
        "firmware_version": check.hex_id("firmware_version"),
        "cpl_status": check.choice("cpl_status", CplStatus.values, upper=False),
    }
    listed_on = check.day("listed_on")
    removed_on = check.day("removed_on", required=False)
    if listed_on and removed_on and removed_on < listed_on:
        check.fail(
            "removed_on",
            f"{removed_on.isoformat()} is before listed_on {listed_on.isoformat()}",
            "a date on or after listed_on",
        )
    if check.problems or listed_on is None:
        return None, check.problems
    return CplRow(
        row=number, cpl_entry_id=entry_id, listed_on=listed_on, removed_on=removed_on, **fields
    ), []


def cross_row_problems(rows: list[CplRow]) -> list[CplProblem]:
    """Rows that are fine alone but contradict an earlier row of the same file."""
    problems: list[CplProblem] = []
    entries: dict[str, CplRow] = {}
    devices: dict[tuple[str, str, str, str], CplRow] = {}
    manufacturers: dict[str, CplRow] = {}
    models: dict[tuple[str, str], CplRow] = {}
    for row in rows:
        first = entries.setdefault(row.cpl_entry_id, row)
        if first is not row:
            problems.append(
                CplProblem(
                    row.row,
                    "cpl_entry_id",
                    f"duplicate entry {row.cpl_entry_id!r}, already on row {first.row}",
                    "each cpl_entry_id once per file",
                )
            )
            continue
        problems.extend(_contradictions(row, manufacturers, models, devices))
    return problems


def _contradictions(
    row: CplRow,
    manufacturers: dict[str, CplRow],
    models: dict[tuple[str, str], CplRow],
    devices: dict[tuple[str, str, str, str], CplRow],
) -> list[CplProblem]:
    problems = []
    maker = manufacturers.setdefault(row.manufacturer_id, row)
    if maker.manufacturer_name != row.manufacturer_name:
        problems.append(
            CplProblem(
                row.row,
                "manufacturer_name",
                f"manufacturer {row.manufacturer_id} is named {maker.manufacturer_name!r} "
                f"on row {maker.row}",
                "one name per manufacturer_id",
            )
        )
    model = models.setdefault(row.model_key, row)
    for column in ("model_name", "device_type", "smets_version"):
        if getattr(model, column) != getattr(row, column):
            problems.append(
                CplProblem(
                    row.row,
                    column,
                    f"model {row.manufacturer_id}/{row.model_id} has {column} "
                    f"{getattr(model, column)!r} on row {model.row}",
                    f"one {column} per model",
                )
            )
    device = devices.setdefault(row.device_key, row)
    if device is not row:
        problems.append(
            CplProblem(
                row.row,
                "firmware_version",
                f"the same model, hardware and firmware is entry {device.cpl_entry_id!r} "
                f"on row {device.row}",
                "one entry per model, hardware and firmware version",
            )
        )
    return problems
