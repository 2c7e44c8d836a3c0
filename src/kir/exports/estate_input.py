"""What an estate check is asked about: the lines of an estate file (CSV or XLSX) or of an API
request, each a device version the supplier has installed, optionally within one DMC, with how
many installations. docs/estate-check.md lists the columns.

Input handling only: every bad row is listed with its row and column, and a file with any bad row
is not checked at all (nothing is half-checked). The file is read by the CPL import's reader
(kir.catalogue.cpl.read_table), with its limits on size, rows and encoding.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kir.catalogue.cpl import Cell, CplFileError, read_table
from kir.identifiers import (
    IdentifierError,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)
from kir.register.models import MAX_COUNT
from kir.register.procurement_input import ProcurementItem, procurement_item

MAX_ESTATE_LINES = 20_000
COLUMNS = ("manufacturer", "model", "firmware", "dmc", "installations")
REQUIRED_COLUMNS = ("manufacturer", "model", "firmware")
# Other names the columns go by in asset systems' exports.
ALIASES = {
    "manufacturer_id": "manufacturer",
    "model_id": "model",
    "firmware_version": "firmware",
    "dmc_identifier": "dmc",
    "installation_count": "installations",
    "count": "installations",
}
_EXPECTED = {
    "manufacturer": "4 hex digits, e.g. 1A2B",
    "model": "8 hex digits, e.g. 00012345",
    "firmware": "8 hex digits, e.g. 01020304",
    "dmc": "empty, or DMC- and 12 hex digits",
    "installations": f"empty, or a whole number from 0 to {MAX_COUNT}",
}


class EstateFileError(Exception):
    """The file as a whole cannot be read: type, encoding, size, header."""


@dataclass(frozen=True)
class EstateRowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        expected = _EXPECTED[self.column]
        return f"row {self.row}: column {self.column}: {self.message} (expected {expected})"


@dataclass
class EstateLine:
    """A device version in the estate (within `dmc` when given): its rows and installations."""

    manufacturer: str
    model: str
    firmware: str
    dmc: str = ""
    # None when no row of the line gave a count.
    installations: int | None = None
    rows: list[int] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.manufacturer, self.model, self.firmware, self.dmc)

    @property
    def version_label(self) -> str:
        return f"{self.manufacturer}/{self.model}/{self.firmware}"

    @property
    def label(self) -> str:
        return f"{self.version_label} in {self.dmc}" if self.dmc else self.version_label

    @property
    def item(self) -> ProcurementItem:
        return ProcurementItem(
            kind="firmware",
            manufacturer=self.manufacturer,
            model=self.model,
            firmware=self.firmware,
        )


@dataclass
class EstateInput:
    lines: list[EstateLine] = field(default_factory=list)
    errors: list[EstateRowError] = field(default_factory=list)
    _by_key: dict[tuple[str, str, str, str], EstateLine] = field(default_factory=dict)

    def add(self, line: EstateLine, count: int | None, row: int) -> None:
        """The line, or its installations added to the same line met on an earlier row."""
        known = self._by_key.get(line.key)
        if known is None:
            if len(self.lines) >= MAX_ESTATE_LINES:
                message = f"more than {MAX_ESTATE_LINES} different lines"
                self.errors.append(EstateRowError(row, "manufacturer", message))
                return
            known = self._by_key[line.key] = line
            self.lines.append(line)
        known.rows.append(row)
        if count is not None:
            known.installations = (known.installations or 0) + count


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _installations(cell: Any) -> int | None:
    if cell is None or _text(cell) == "":
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, bool) or not re.fullmatch(r"\d{1,10}", _text(cell)):
        raise ValueError("not a whole number")
    count = int(_text(cell))
    if count > MAX_COUNT:
        raise ValueError("out of range")
    return count


def _dmc(cell: Any) -> str:
    text = _text(cell)
    return procurement_item(dmc=text).dmc if text else ""


_PARSERS = {
    "manufacturer": lambda cell: normalise_manufacturer_id(_text(cell)),
    "model": lambda cell: normalise_model_id(_text(cell)),
    "firmware": lambda cell: normalise_firmware_version(_text(cell)),
    "dmc": _dmc,
    "installations": _installations,
}


def parse_estate_row(number: int, values: dict[str, Any], found: EstateInput) -> None:
    """One row's line added to `found` (a repeated line adds its installations), or its errors."""
    parsed: dict[str, Any] = {}
    for column in COLUMNS:
        try:
            parsed[column] = _PARSERS[column](values.get(column))
        except (IdentifierError, ValueError):
            text = _text(values.get(column))
            message = f"got {text[:40]!r}" if text else "missing"
            found.errors.append(EstateRowError(number, column, message))
    if len(parsed) < len(COLUMNS):
        return
    count = parsed.pop("installations")
    found.add(EstateLine(**parsed), count, number)


def _positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
        key = ALIASES.get(key, key)
        if key in COLUMNS:
            if key in positions:
                raise EstateFileError(f"column {key} appears more than once in the header")
            positions[key] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise EstateFileError(
            f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(expected a header row with {', '.join(COLUMNS)}; dmc and installations optional)"
        )
    return positions


def parse_estate_table(header: list[str], records: Any) -> EstateInput:
    positions = _positions(header)
    found = EstateInput()
    for number, cells in records:
        cells_of: list[Cell] = list(cells)
        values = {c: cells_of[i] if i < len(cells_of) else None for c, i in positions.items()}
        parse_estate_row(number, values, found)
    if not found.lines and not found.errors:
        raise EstateFileError("the file has a header but no lines")
    return found


def parse_estate_file(upload: IO[bytes], filename: str) -> EstateInput:
    """An uploaded CSV or XLSX estate file (by its name's suffix); EstateFileError if unreadable."""
    suffix = Path(filename).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for chunk in iter(lambda: upload.read(1024 * 1024), b""):
            copy.write(chunk)
        copy.flush()
        try:
            header, records = read_table(Path(copy.name))
        except CplFileError as error:
            raise EstateFileError(str(error)) from None
        return parse_estate_table(header, records)
