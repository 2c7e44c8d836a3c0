"""A small streaming XLSX writer for every spreadsheet export: the register list, the procurement
and estate checks, and later the tracker's findings.

openpyxl's write-only mode keeps no row in memory: each row goes to a temporary file as it is
written, and the workbook is assembled into a second temporary file that is then sent in chunks.
So an export of 20,000 issues costs the same memory as one of 20. Each workbook has:

- the data sheet: a bold header row, frozen below the header, each column its width; dates as
  Excel dates, times as Excel date-times (UTC, said in the header), numbers as numbers and text
  as text (a value starting with "=" stays text, never a formula);
- an "About" sheet: what the export is, when it was made, the policy version in force and each
  filter applied.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 64 * 1024
ColumnKind = Literal["text", "number", "date", "datetime"]
_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class SheetSpec:
    """What an export is: its data sheet's title and columns, and the lines of its About sheet."""

    title: str
    columns: Sequence[Column]
    # (label, value) pairs: the filters, the check's input, the policy version, ...
    about: Sequence[tuple[str, str]] = ()


def _text(value: Any) -> str:
    # Control characters other than tab and newline are not allowed in the XML of a sheet.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _utc_naive(moment: datetime) -> datetime:
    # Excel has no time zones; every time in an export is UTC, as its header says.
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


class _Cells:
    """Turns one row of plain values into what the write-only sheet takes, by column kind."""

    def __init__(self, sheet: WriteOnlyWorksheet, columns: Sequence[Column]) -> None:
        self.sheet = sheet
        self.kinds = [column.kind for column in columns]

    def cell(self, kind: ColumnKind, value: Any) -> Any:
        if value is None or value == "":
            return None
        if kind in _FORMATS:
            if isinstance(value, datetime):
                value = _utc_naive(value)
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = _FORMATS[kind]
            return cell
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        text = _text(value)
        if text.startswith("="):
            cell = WriteOnlyCell(self.sheet, value=text)
            cell.data_type = "s"
            return cell
        return text

    def row(self, values: Sequence[Any]) -> list[Any]:
        return [self.cell(kind, value) for kind, value in zip(self.kinds, values, strict=True)]


def _header(sheet: WriteOnlyWorksheet, columns: Sequence[Column]) -> list[Any]:
    bold = Font(bold=True)
    cells = []
    for column in columns:
        header = column.header + (" (UTC)" if column.kind == "datetime" else "")
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cells.append(cell)
    return cells


def _write_about(workbook: Workbook, spec: SheetSpec, made_at: datetime) -> None:
    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 80
    about.append(["Export", _text(spec.title)])
    about.append(["Made at (UTC)", _utc_naive(made_at).isoformat(sep=" ", timespec="seconds")])
    for label, value in spec.about:
        about.append([_text(label), _text(value)])


def write_workbook(
    output: IO[bytes], spec: SheetSpec, rows: Iterable[Sequence[Any]], made_at: datetime
) -> None:
    """The workbook of `rows`, written to `output`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(spec.title[:31])
    for number, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, spec.columns))
    cells = _Cells(sheet, spec.columns)
    for values in rows:
        sheet.append(cells.row(values))
    _write_about(workbook, spec, made_at)
    workbook.save(output)


def xlsx_chunks(
    spec: SheetSpec, rows: Iterable[Sequence[Any]], made_at: datetime
) -> Iterator[bytes]:
    """The workbook's bytes in chunks, for a StreamingHttpResponse. Nothing is read or written
    before the first chunk is asked for; the temporary files go when the iterator ends."""
    with tempfile.TemporaryFile() as output:
        write_workbook(output, spec, rows, made_at)
        output.seek(0)
        while chunk := output.read(CHUNK_SIZE):
            yield chunk


def as_cell_date(value: date | datetime | None) -> date | datetime | None:
    """A value for a "date" column: a datetime's UTC day."""
    if isinstance(value, datetime):
        return _utc_naive(value).date()
    return value
