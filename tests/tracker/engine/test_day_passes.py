"""A one-shot analysis scanned day by day gives exactly the report of a single pass."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kir.tracker.engine import scan
from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.inputs import prepare_alerts
from kir.tracker.engine.rules import load_rules
from kir.tracker.engine.scan import code_keys, day_passes
from tests.tracker.engine.builders import alert, at, device_id, write_alerts
from tests.tracker.engine.scenarios import DAYS, across_midnight, grid_estate, planted_rows


def _write_timestamped(path, rows):
    """Parquet with raised_at as TIMESTAMPTZ (the form day passes need), throttled counts kept."""
    times = [
        r["raised_at"]
        if r["raised_at"] is None
        else datetime.fromisoformat(str(r["raised_at"]).replace("Z", "+00:00"))
        for r in rows
    ]
    table = pa.table(
        {
            "device_id": [r["device_id"] for r in rows],
            "alert_code": [r["alert_code"] for r in rows],
            "raised_at": pa.array(times, pa.timestamp("us", tz="UTC")),
            "throttled_count": pa.array([r.get("throttled_count") for r in rows], pa.int32()),
        }
    )
    pq.write_table(table, path, row_group_size=500)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("day-passes")
    estate = grid_estate(per_dmc=20)
    rows = planted_rows(estate, seed=11)
    rng = random.Random(5)
    rows += across_midnight(estate, rng, every=4, throttled=True)
    known = estate.installations[0].devices["ESME"]
    rows += [
        alert("not-an-eui64", "8F35", at(1, 100)),  # malformed device id
        alert(known, "ZZZZ", at(2, 100)),  # not an alert code
        {**alert(known, "8F35", at(0, 0)), "raised_at": None},  # no time at all
        alert(device_id(999_999), "8F35", at(3, 100)),  # absent from the inventory
        alert(known, "8F35", at(DAYS - 1, 86_399)),  # the very last instant
    ]
    rng.shuffle(rows)  # files hold mixed days: a pass must pick its rows out of every file
    half = len(rows) // 2
    files = [
        _write_timestamped(tmp_path / "a.parquet", rows[:half]),
        _write_timestamped(tmp_path / "b.parquet", rows[half:]),
    ]
    inventory = estate.write(tmp_path / "inventory.parquet")
    day_by_day = tmp_path / "day-by-day.toml"
    day_by_day.write_text("[engine]\nday_pass_min_rows = 0\n")
    return tmp_path, inventory, files, day_by_day


def test_day_passes_are_used_only_above_the_row_threshold(data):
    tmp_path, _inventory, files, day_by_day = data
    inputs = prepare_alerts(files, tmp_path)
    assert len(day_passes(inputs, load_rules(day_by_day))) == DAYS
    assert day_passes(inputs, load_rules()) == []


def test_day_by_day_equals_a_single_pass(data):
    _tmp_path, inventory, files, day_by_day = data
    single = analyse(AnalyseRequest(inventory=inventory, alerts=files))
    by_day = analyse(AnalyseRequest(inventory=inventory, alerts=files, rules_path=day_by_day))
    assert single["findings"], "the planted problems are found"
    assert any(f.get("devices") for f in single["findings"]), "device drill-down is compared"
    inputs = single["inputs"]["alerts"]
    assert inputs["rejected_rows"] == 3  # bad id, bad code, no time: each counted once
    assert inputs["unknown_device_alerts"] == 1
    for key in ("findings", "region_traffic", "window", "inputs", "notes"):
        assert by_day[key] == single[key], key


def test_a_stray_time_years_off_means_one_pass(data, tmp_path):
    _tmp, _inventory, files, day_by_day = data
    meter = device_id(1)
    stray = _write_timestamped(
        tmp_path / "stray.parquet", [alert(meter, "8F35", at(0, 0) - timedelta(days=3650))]
    )
    inputs = prepare_alerts([*files, stray], tmp_path)
    assert day_passes(inputs, load_rules(day_by_day)) == []


def test_csv_inputs_are_never_scanned_day_by_day(data, tmp_path):
    _tmp_path, _inventory, _files, day_by_day = data
    csv_file = tmp_path / "alerts.csv"
    csv_file.write_text("device_id,alert_code,raised_at\n" + f"{device_id(1)},8F35,{at(0, 5)}\n")
    inputs = prepare_alerts([csv_file], tmp_path)
    assert day_passes(inputs, load_rules(day_by_day)) == []


def test_parquet_with_times_as_text_is_scanned_in_one_pass(data, tmp_path):
    # Row-group statistics of text cannot place a row in a day: no pass may skip it.
    _tmp_path, _inventory, _files, day_by_day = data
    text_times = tmp_path / "text-times.parquet"
    write_alerts(text_times, [alert(device_id(1), "8F35", at(0, 5))])
    assert pq.read_schema(text_times).field("raised_at").type == pa.string()
    assert day_passes(prepare_alerts([text_times], tmp_path), load_rules(day_by_day)) == []


def test_too_many_distinct_codes_keep_strings(data, tmp_path, monkeypatch):
    _tmp_path, _inventory, files, _day_by_day = data
    monkeypatch.setattr(scan, "MAX_CODE_KEYS", 3)
    assert _code_keys(files, tmp_path).codes is None


def _code_keys(files, work):
    with duckdb.connect() as con:
        return code_keys(con, prepare_alerts(files, work))


def test_integer_code_keys_give_the_report_of_string_codes(data, tmp_path):
    # Parquet inputs run the pass on integer code keys; a CSV of the same rows keeps strings.
    _tmp, inventory, files, _day_by_day = data
    rows = pa.concat_tables([pq.read_table(f) for f in files]).to_pylist()
    csv_file = tmp_path / "same-rows.csv"
    with csv_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["device_id", "alert_code", "raised_at", "throttled_count"])
        for r in rows:
            when = r["raised_at"].isoformat() if r["raised_at"] else ""
            writer.writerow([r["device_id"], r["alert_code"], when, r["throttled_count"] or ""])
    assert "8F35" in (_code_keys(files, tmp_path).codes or [])
    assert _code_keys([csv_file], tmp_path).codes is None
    from_parquet = analyse(AnalyseRequest(inventory=inventory, alerts=files))
    from_csv = analyse(AnalyseRequest(inventory=inventory, alerts=[csv_file]))
    assert from_parquet["findings"], "the planted problems are found"
    assert from_parquet["findings"] == from_csv["findings"]
    assert from_parquet["region_traffic"] == from_csv["region_traffic"]
    for key in ("messages", "alerts", "rejected_rows", "unknown_device_alerts"):
        assert from_parquet["inputs"]["alerts"][key] == from_csv["inputs"]["alerts"][key], key
