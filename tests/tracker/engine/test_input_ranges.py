"""Issue 16 rows 10 to 12: Parquet columns of the wrong type, implausible times and counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.errors import InputFileError
from kir.tracker.engine.rules import load_rules
from tests.tracker.engine.builders import CHF_A, ESME_X, Estate

GOOD_TIME = "2024-03-01T10:00:00Z"
THROTTLED_REASON = "throttled_count: expected a whole number from 1 to 1000000"


@pytest.fixture
def inventory(tmp_path):
    estate = Estate()
    estate.add("north", "SUP1", [CHF_A, ESME_X], 2)
    return estate.write(tmp_path / "inventory.csv"), estate.installations[0].devices["ESME"]


def _analyse(tmp_path, inventory_path, alerts):
    request = AnalyseRequest(
        inventory=inventory_path, alerts=[alerts], rejects_path=tmp_path / "rejects.csv"
    )
    report = analyse(request)
    return report["inputs"], report["window"]


def _parquet(path, columns):
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("device_id", [1], "column 'device_id': expected text (string), found int64"),
        ("alert_code", [b"8F35"], "column 'alert_code': expected text (string), found binary"),
        ("raised_at", [1.5], "column 'raised_at': expected text (string) or a timestamp"),
        ("throttled_count", [2.5], "column 'throttled_count': expected text (string) or an int"),
        ("throttled_count", [[1]], "column 'throttled_count': expected text (string) or an int"),
    ],
)
def test_a_parquet_column_of_the_wrong_type_is_named_with_the_type_expected(
    tmp_path, inventory, column, values, message
):
    inventory_path, meter = inventory
    columns = {"device_id": [meter], "alert_code": ["8F35"], "raised_at": [GOOD_TIME]}
    path = _parquet(tmp_path / "alerts.parquet", columns | {column: values})
    with pytest.raises(InputFileError, match=re.escape(message)):
        _analyse(tmp_path, inventory_path, path)


def test_parquet_integer_and_all_null_columns_are_read(tmp_path, inventory):
    inventory_path, meter = inventory
    stamp = datetime(2024, 3, 1, 10, tzinfo=UTC)
    path = _parquet(
        tmp_path / "alerts.parquet",
        {
            "device_id": [meter, meter, meter],
            "alert_code": ["8F35", "8F35", "8F35"],
            "raised_at": pa.array(
                [stamp, stamp + timedelta(hours=1), stamp], pa.timestamp("us", "UTC")
            ),
            "throttled_count": pa.array([3, None, 2_000_000], pa.int64()),
        },
    )
    found, _window = _analyse(tmp_path, inventory_path, path)
    assert (found["alerts"]["alerts"], found["alerts"]["rejected_rows"]) == (4, 1)
    assert found["rejects_sample"] == [f"{path} row 3: {THROTTLED_REASON}"]
    untyped = _parquet(
        tmp_path / "untyped.parquet",
        {
            "device_id": [meter],
            "alert_code": ["8F35"],
            "raised_at": [GOOD_TIME],
            "throttled_count": pa.nulls(1),
        },
    )
    assert _analyse(tmp_path, inventory_path, untyped)[0]["alerts"]["alerts"] == 1


@pytest.mark.parametrize("value", ["1.5", "1e20", "-3", "0", "abc", "99999999999999999999"])
def test_a_throttled_count_that_is_not_a_whole_number_in_range_is_a_counted_reject(
    tmp_path, inventory, value
):
    inventory_path, meter = inventory
    path = tmp_path / "alerts.csv"
    path.write_text(
        "device_id,alert_code,raised_at,throttled_count\n"
        f"{meter},8F35,{GOOD_TIME},{value}\n{meter},8F35,2024-03-01T11:00:00Z, 2 \n"
    )
    found, _window = _analyse(tmp_path, inventory_path, path)
    assert (found["alerts"]["alerts"], found["alerts"]["rejected_rows"]) == (2, 1)
    assert found["rejects_sample"] == [f"{path} row 1: {THROTTLED_REASON}"]


def _tomorrow():
    return datetime.now(UTC).date() + timedelta(days=1)


@pytest.mark.parametrize(
    "raised_at", ["9999-12-31T10:00:00Z", "2009-12-31T23:59:59Z", "{after_tomorrow}T00:00:00Z"]
)
def test_an_alert_outside_the_plausible_range_is_a_counted_reject(tmp_path, inventory, raised_at):
    inventory_path, meter = inventory
    raised_at = raised_at.format(after_tomorrow=_tomorrow() + timedelta(days=1))
    path = tmp_path / "alerts.csv"
    path.write_text(
        f"device_id,alert_code,raised_at\n{meter},8F35,{GOOD_TIME}\n{meter},8F35,{raised_at}\n"
    )
    found, window = _analyse(tmp_path, inventory_path, path)
    assert (found["alerts"]["alerts"], found["alerts"]["rejected_rows"]) == (1, 1)
    reason = f"raised_at: out of range: expected a day from 2010-01-01 to {_tomorrow()} (UTC)"
    assert found["rejects_sample"] == [f"{path} row 2: {reason}"]
    assert window == {"from": "2024-03-01", "to": "2024-03-01", "days": 1}


def test_the_first_and_the_last_plausible_moments_are_accepted(tmp_path, inventory):
    inventory_path, meter = inventory
    last = f"{_tomorrow()}T23:59:59Z"
    path = tmp_path / "alerts.csv"
    path.write_text(
        f"device_id,alert_code,raised_at\n{meter},8F35,2010-01-01T00:00:00Z\n{meter},8F35,{last}\n"
    )
    found, _window = _analyse(tmp_path, inventory_path, path)
    assert (found["alerts"]["alerts"], found["alerts"]["rejected_rows"]) == (2, 0)


def test_the_range_comes_from_the_rules_file(tmp_path):
    from kir.tracker.engine.rules import InputLimits

    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[inputs]\nearliest_alert = 2020-06-01\ndays_ahead = 0\nmax_throttled_count = 50\n"
    )
    loaded = load_rules(rules)
    assert loaded.inputs == InputLimits(datetime(2020, 6, 1).date(), 0, 50)
    assert loaded.to_json()["inputs"]["earliest_alert"] == "2020-06-01"
    rules.write_text("[inputs]\nmax_throttled_count = 0\n")
    with pytest.raises(InputFileError, match=r"inputs\.max_throttled_count"):
        load_rules(rules)
