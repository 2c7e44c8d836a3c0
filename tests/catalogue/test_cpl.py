"""Reading a CPL file: headers, spreadsheet row numbers, whole-file errors. No database."""

from __future__ import annotations

from datetime import date

import pytest

from kir.catalogue.cpl import COLUMNS, CplFileError, parse_cpl_file, parse_cpl_records
from tests.catalogue.cplfiles import GOOD_ROWS, write_csv


def records(*rows: dict) -> list[tuple[int, list]]:
    return [(n, [row.get(c, "") for c in COLUMNS]) for n, row in enumerate(rows, start=2)]


def test_it_matches_headers_whatever_their_case_spacing_or_order():
    order = ["model_id", "cpl_entry_id", "notes"]
    order += [c for c in COLUMNS if c not in order]
    spelt = {"model_id": " Model ID", "cpl_entry_id": "CPL-Entry-ID", "notes": "Notes"}
    header = [spelt.get(c, c.upper()) for c in order]
    rows = [(2, [GOOD_ROWS[0].get(c, "ignored") for c in order])]
    parsed = parse_cpl_records(header, iter(rows))
    assert parsed.problems == []
    assert parsed.rows[0].model_id == "0001A2F3"
    assert parsed.rows[0].cpl_entry_id == "CPL-0001"


def test_it_refuses_a_column_named_twice():
    with pytest.raises(CplFileError, match="column model_id appears more than once"):
        parse_cpl_records([*COLUMNS, "Model_ID"], iter([]))


def test_it_parses_typed_values():
    parsed = parse_cpl_records(list(COLUMNS), iter(records(GOOD_ROWS[2])))
    row = parsed.rows[0]
    assert (row.device_type, row.cpl_status, row.hardware_version) == ("CHF", "removed", "0003")
    assert (row.listed_on, row.removed_on) == (date(2022, 6, 1), date(2024, 2, 29))


def test_it_reports_every_problem_of_a_row_in_column_order():
    bad = {**GOOD_ROWS[0], "model_id": "", "device_type": "meter", "manufacturer_id": "1"}
    parsed = parse_cpl_records(list(COLUMNS), iter(records(bad)))
    assert [(p.row, p.column) for p in parsed.problems] == [
        (2, "manufacturer_id"),
        (2, "model_id"),
        (2, "device_type"),
    ]
    assert parsed.rows == []


def test_it_numbers_rows_as_a_spreadsheet_does_across_a_multi_line_cell(tmp_path):
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0]["model_name"] = "Meterix E470\nSingle Phase"
    rows[1]["model_name"] = rows[0]["model_name"]
    rows[2]["firmware_version"] = "bad"
    parsed = parse_cpl_file(write_csv(tmp_path / "cpl.csv", rows))
    assert [(p.row, p.column) for p in parsed.problems] == [(4, "firmware_version")]


def test_it_reads_a_csv_with_a_byte_order_mark(tmp_path):
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(parse_cpl_file(path).rows) == 3


def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "cpl.csv"
    path.write_text("")
    with pytest.raises(CplFileError, match="the file is empty"):
        parse_cpl_file(path)


def test_it_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "cpl.csv"
    path.write_bytes(",".join(COLUMNS).encode() + b"\n\xff\xfe\n")
    with pytest.raises(CplFileError, match="not UTF-8 text at byte"):
        parse_cpl_file(path)
