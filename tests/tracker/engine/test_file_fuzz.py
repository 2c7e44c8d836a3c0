"""Hypothesis-made alert and inventory files (CSV, Parquet, DUIS XML: wrong types, huge and tiny
values, wrong encodings, truncation) through the engine end in a report whose rejects are
counted, or in a TrackerError naming the file, never another exception (issue 16).

Bounded: a fixed number of derandomized examples, each file small, one DuckDB thread and a small
DuckDB memory limit. tests/test_fuzz_memory.py runs this module under an address-space limit.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.connection import EngineSettings
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.inputs import ALERT_COLUMNS, INVENTORY_COLUMNS
from tests.fuzzlimit import requires_memory_limit
from tests.tracker.engine.builders import CHF_A, ESME_X, Estate

pytestmark = [pytest.mark.slow, requires_memory_limit]

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ENGINE = EngineSettings(memory_limit="256MB", threads=1)

_ESTATE = Estate()
_ESTATE.add("north", "SUP1", [CHF_A, ESME_X], 2)
DEVICES = [device for inst in _ESTATE.installations for device in inst.devices.values()]

device_text = st.one_of(
    st.sampled_from([*DEVICES, DEVICES[0].lower().replace("-", ""), "", " ", "00-DB"]),
    st.text(max_size=30),
)
code_text = st.one_of(
    st.sampled_from(["8F35", "81A3", "81A2", "N24", "ZZZZ", "", "8f35 "]), st.text(max_size=8)
)
time_text = st.one_of(
    st.sampled_from(
        [
            "2024-03-01T10:00:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2024-03-01T10:00:00",
            "2024-02-30T10:00:00Z",
            "yesterday",
            "",
            "294247-01-10T04:00:54Z",
        ]
    ),
    st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat()),
    st.text(max_size=25),
)
count_text = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "1.5", "1e20", " 2 ", "+3", "0x10"]),
    st.text(max_size=10),
)
alert_row = st.tuples(device_text, code_text, time_text, count_text)


def _analyse(inventory: Path, alerts: Path) -> None:
    try:
        report = analyse(
            AnalyseRequest(
                inventory=inventory,
                alerts=[alerts],
                rejects_path=alerts.with_name("rejects.csv"),
                settings=ENGINE,
            )
        )
    except TrackerError as error:
        assert str(error)
        return
    found = report["inputs"]
    assert found["alerts"]["rejected_rows"] >= 0 and found["inventory"]["rejected_rows"] >= 0
    for sample in found["rejects_sample"]:
        assert " row " in sample and ": " in sample


def _mangle(content: bytes, data: st.DataObject) -> bytes:
    how = data.draw(st.sampled_from(["none", "truncate", "latin-1", "utf-16", "bytes"]))
    if how == "truncate":
        return content[: len(content) * data.draw(st.integers(0, 1000)) // 1000]
    if how == "latin-1":
        return content.decode("utf-8").encode("latin-1", errors="replace") + b"\xe9\xff"
    if how == "utf-16":
        return content.decode("utf-8").encode("utf-16")
    if how == "bytes":
        return data.draw(st.binary(max_size=300))
    return content


def _csv(header: list[str], rows: list[tuple[str, ...]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8", errors="surrogatepass")


def _run(folder: str, name: str, content: bytes, inventory: Path | None = None) -> None:
    path = Path(folder) / name
    path.write_bytes(content)
    _analyse(inventory or _ESTATE.write(Path(folder) / "inventory.csv"), path)


alert_header = st.one_of(
    st.just([*ALERT_COLUMNS, "throttled_count"]),
    st.just(list(ALERT_COLUMNS)),
    st.lists(st.sampled_from([*ALERT_COLUMNS, "throttled_count", "extra", ""]), max_size=6),
)


@FUZZ
@given(alert_header, st.lists(alert_row, max_size=8), st.data())
def test_any_alert_csv_ends_in_a_report_or_a_clear_error(header, rows, data):
    content = _mangle(_csv(header, [row[: len(header)] for row in rows]), data)
    with TemporaryDirectory() as folder:
        _run(folder, data.draw(st.sampled_from(["alerts.csv", "alerts.txt"])), content)


_STAMP = st.datetimes(
    min_value=datetime(1677, 9, 22), max_value=datetime(2262, 4, 11), timezones=st.just(UTC)
)
# Each Parquet column drawn as one of many Arrow types, with values to match.
_ARROW = {
    "string": (pa.string(), st.one_of(device_text, code_text, time_text, count_text)),
    "int64": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "int8": (pa.int8(), st.integers(-128, 127)),
    "uint64": (pa.uint64(), st.integers(0, 2**64 - 1)),
    "float64": (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
    "bool": (pa.bool_(), st.booleans()),
    "binary": (pa.binary(), st.binary(max_size=20)),
    "timestamp": (pa.timestamp("us", "UTC"), _STAMP),
    "naive timestamp": (pa.timestamp("ns"), _STAMP.map(lambda t: t.replace(tzinfo=None))),
    "date": (pa.date32(), st.dates()),
    "list": (pa.list_(pa.int64()), st.lists(st.integers(-5, 5), max_size=3)),
    "null": (pa.null(), st.none()),
}


@st.composite
def parquet_table(draw, columns: tuple[str, ...]) -> pa.Table:
    size = draw(st.integers(0, 6))
    arrays = {}
    for name in columns:
        kind, values = _ARROW[draw(st.sampled_from(sorted(_ARROW)))]
        cells = draw(st.lists(st.one_of(st.none(), values), min_size=size, max_size=size))
        arrays[name] = pa.array(cells, type=kind)
    return pa.table(arrays)


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


@FUZZ
@given(parquet_table((*ALERT_COLUMNS, "throttled_count")), st.booleans(), st.data())
def test_any_alert_parquet_ends_in_a_report_or_a_clear_error(table, cut, data):
    content = _parquet_bytes(table)
    if cut:
        content = content[: len(content) * data.draw(st.integers(0, 999)) // 1000]
    with TemporaryDirectory() as folder:
        _run(folder, "alerts.parquet", content)


def _duis_message(row: tuple[str, str, str, str], counter: int, dcc: bool) -> str:
    device, code, raised, throttled = (escape(value) for value in row)
    alert = (
        f"<DCCAlertMessage><DCCAlertCode>{code}</DCCAlertCode></DCCAlertMessage>"
        if dcc
        else f"<DeviceAlertMessage><AlertCode>{code}</AlertCode></DeviceAlertMessage>"
    )
    return (
        f"<Response><Header><ResponseID>{device}:90-B3-D5-1F-30-01-00-00:{counter}</ResponseID>"
        f"<ResponseDateTime>{raised}</ResponseDateTime></Header><Body>{alert}"
        f"<ThrottledAlertCount>{throttled}</ThrottledAlertCount></Body></Response>"
    )


_XML_TEXT = st.characters(blacklist_categories=("Cs", "Cc"))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.tuples(
                device_text.map(lambda t: "".join(c for c in t if c.isprintable())),
                code_text.map(lambda t: "".join(c for c in t if c.isprintable())),
                time_text.map(lambda t: "".join(c for c in t if c.isprintable())),
                count_text.map(lambda t: "".join(c for c in t if c.isprintable())),
            ),
            st.booleans(),
        ),
        max_size=6,
    ),
    st.data(),
)
def test_any_duis_xml_ends_in_a_report_or_a_clear_error(messages, data):
    body = "".join(_duis_message(row, n, dcc) for n, (row, dcc) in enumerate(messages, start=1))
    content = _mangle(f'<?xml version="1.0"?>\n<Alerts>{body}</Alerts>'.encode(), data)
    with TemporaryDirectory() as folder:
        _run(folder, "alerts.xml", content)


inventory_cell = st.one_of(
    st.sampled_from(["north", "SOUTH", "mars", "AAAA", "0000000A", "00000001", "ESME", "", " "]),
    device_text,
    st.text(max_size=20),
)


@FUZZ
@given(
    st.one_of(
        st.just(list(INVENTORY_COLUMNS)),
        st.lists(st.sampled_from([*INVENTORY_COLUMNS, "extra"]), max_size=10),
    ),
    st.lists(st.lists(inventory_cell, min_size=9, max_size=9), max_size=6),
    st.sampled_from(["csv", "parquet"]),
    st.data(),
)
def test_any_inventory_ends_in_a_report_or_a_clear_error(header, rows, fmt, data):
    with TemporaryDirectory() as folder:
        inventory = Path(folder) / f"inventory.{fmt}"
        if fmt == "csv":
            content = _mangle(_csv(header, [tuple(row[: len(header)]) for row in rows]), data)
        else:
            content = _parquet_bytes(data.draw(parquet_table(tuple(dict.fromkeys(header)))))
            if data.draw(st.booleans()):
                content = content[: len(content) * data.draw(st.integers(0, 999)) // 1000]
        inventory.write_bytes(content)
        alerts = Path(folder) / "alerts.csv"
        rows_ok = [(DEVICES[0], "8F35", "2024-03-01T10:00:00Z", "")]
        alerts.write_bytes(_csv([*ALERT_COLUMNS, "throttled_count"], rows_ok))
        _analyse(inventory, alerts)
