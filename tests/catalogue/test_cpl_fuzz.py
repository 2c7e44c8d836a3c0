"""Hypothesis-made CPL files (CSV and XLSX: wrong types, huge and tiny values, wrong encodings,
truncation) end in a checked result or a CplFileError naming the problem, never another
exception. Bounded: a fixed number of examples per run, each file small; run under an
address-space limit by tests/test_fuzz_memory.py."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.catalogue.cpl import COLUMNS, CplFileError, parse_cpl_file
from tests.fuzzlimit import requires_memory_limit

pytestmark = [pytest.mark.slow, requires_memory_limit]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

cell_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["10A5", "0001A2F3", "00020104", "ESME", "listed", "2024-01-01", "", " "]),
    st.text(alphabet="0123456789abcdefABCDEF-", max_size=12),
)
cell_value = st.one_of(
    cell_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1900, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.booleans(),
    st.none(),
)
header = st.one_of(
    st.just(list(COLUMNS)),
    st.lists(st.sampled_from([*COLUMNS, "extra", ""]), max_size=14),
)


def _parse(name: str, content: bytes) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = parse_cpl_file(path)
        except CplFileError as error:
            assert str(error)
            return
    for problem in result.problems:
        assert problem.column in COLUMNS and problem.row >= 2
        assert problem.format(name).startswith(f"{name}:row {problem.row}: column ")


@FUZZ
@given(header, st.lists(st.lists(cell_text, max_size=14), max_size=8), st.data())
def test_any_csv_ends_in_a_checked_result_or_a_clear_error(columns, rows, data):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows(rows)
    content = text.getvalue().encode("utf-8")
    mangle = data.draw(st.sampled_from(["none", "truncate", "latin-1", "bytes"]))
    if mangle == "truncate":
        content = content[: data.draw(st.integers(0, len(content)))]
    elif mangle == "latin-1":
        content = text.getvalue().encode("latin-1", errors="replace") + b"\xe9\xff"
    elif mangle == "bytes":
        content = data.draw(st.binary(max_size=200))
    _parse("cpl.csv", content)


@FUZZ
@given(header, st.lists(st.lists(cell_value, max_size=14), max_size=6), st.data())
def test_any_xlsx_ends_in_a_checked_result_or_a_clear_error(columns, rows, data):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    from openpyxl.utils.exceptions import IllegalCharacterError

    buffer = io.BytesIO()
    try:
        sheet.append(columns)
        for row in rows:
            sheet.append(row)
        workbook.save(buffer)
    except (IllegalCharacterError, ValueError, TypeError):
        return  # openpyxl cannot write this cell (a control character): not a file to test
    content = buffer.getvalue()
    if data.draw(st.booleans()):
        # The cut is drawn as a share of the file, not a byte offset: the file holds the time it
        # was saved, so its length can differ when Hypothesis replays an example.
        content = content[: len(content) * data.draw(st.integers(0, 1000)) // 1000]
    _parse("cpl.xlsx", content)
