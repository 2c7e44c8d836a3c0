"""The shared XLSX writer's cells: each row gets its own dates and times as Excel dates in UTC,
empty cells stay empty, and the workbook holds a handful of cell formats however many rows it
has (a style per column kind, not per cell)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook

from kir.exports.xlsx import Column, SheetSpec, write_workbook

SPEC = SheetSpec(
    "Cells",
    (
        Column("name"),
        Column("day", kind="date"),
        Column("at", kind="datetime"),
        Column("count", kind="number"),
    ),
)
MADE_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def written(rows: list[list[object]]):
    output = io.BytesIO()
    write_workbook(output, SPEC, rows, MADE_AT)
    output.seek(0)
    return load_workbook(output)


def test_it_gives_each_row_its_own_dates_and_times():
    start = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    rows = [
        ["a", date(2025, 1, 1) + timedelta(days=n), start + timedelta(hours=n), n]
        for n in range(50)
    ]
    rows.append(["empty", None, None, None])
    sheet = written(rows)["Cells"]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values[:2] == [
        ("a", datetime(2025, 1, 1), datetime(2025, 3, 1, 12, 30), 0),
        ("a", datetime(2025, 1, 2), datetime(2025, 3, 1, 13, 30), 1),
    ]
    assert values[49][1:3] == (datetime(2025, 2, 19), datetime(2025, 3, 3, 13, 30))
    assert values[50] == ("empty", None, None, None)
    day, at = sheet.cell(row=3, column=2), sheet.cell(row=3, column=3)
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert at.is_date and at.number_format == "yyyy-mm-dd hh:mm:ss"


def test_a_local_time_is_written_in_utc():
    local = datetime(2025, 6, 1, 12, 0, tzinfo=UTC).astimezone()
    sheet = written([["x", None, local, None]])["Cells"]
    assert sheet.cell(row=2, column=3).value == datetime(2025, 6, 1, 12, 0)


def test_the_cell_formats_do_not_grow_with_the_rows():
    few = written([["a", date(2025, 1, 1), MADE_AT, 1]] * 3)
    many = written([["a", date(2025, 1, 1), MADE_AT, 1]] * 300)
    assert len(many._cell_styles) == len(few._cell_styles) <= 4
