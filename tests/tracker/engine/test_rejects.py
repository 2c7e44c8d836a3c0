"""Every reject carries the kind of check that refused it, and counts go by that kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kir.tracker.engine import analyse as analyse_module
from kir.tracker.engine.alert_rejects import collect_alert_rejects
from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.connection import EngineSettings, connect
from kir.tracker.engine.estate import load_estate
from kir.tracker.engine.inputs import prepare_alerts
from kir.tracker.engine.rejects import Reject, RejectKind, Rejects, handle_rejects
from tests.tracker.engine.builders import CHF_A, ESME_X, Estate, alert, at, write_alerts, write_csv

METER = "00-DB-00-00-00-00-00-01"
HEADER = "device_id,alert_code,raised_at,throttled_count"


def _alert_rejects(tmp_path: Path, line: str) -> list[Reject]:
    path = tmp_path / "alerts.csv"
    path.write_text(f"{HEADER}\n{METER},8F35,2024-03-01T10:00:00Z,\n{line}\n")
    work = tmp_path / "work"
    work.mkdir()
    con = connect(EngineSettings(threads=1), work)
    try:
        inputs = prepare_alerts([path], work)
        return collect_alert_rejects(con, inputs, counted=1, bad_codes=["ZZZZZ"]).rows
    finally:
        con.close()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",8F35,2024-03-01T10:00:10Z,", "device_id: empty"),
        (
            "not-an-eui64,8F35,2024-03-01T10:00:10Z,",
            "device_id: expected an EUI-64 (16 hex digits)",
        ),
        (f"{METER},,2024-03-01T10:00:10Z,", "alert_code: empty"),
        (
            f"{METER},ZZZZZ,2024-03-01T10:00:10Z,",
            "alert_code: expected a 4-hex Device Alert code or a DCC Alert code",
        ),
        (f"{METER},8F35,yesterday,", "raised_at: expected an ISO-8601 timestamp with zone"),
        (
            f"{METER},8F35,2024-03-01T10:00:10Z,0",
            "throttled_count: expected a whole number from 1 to 1000000",
        ),
    ],
)
def test_an_alert_row_with_a_bad_value_is_an_alert_value_reject(tmp_path, line, reason):
    [reject] = _alert_rejects(tmp_path, line)
    assert (reject.kind, reject.row, reject.reason) == (RejectKind.ALERT_VALUE, 2, reason)


def test_a_line_that_does_not_split_is_a_csv_line_reject(tmp_path):
    [reject] = _alert_rejects(tmp_path, f"{METER},8F35,2024-03-01T10:00:10Z,,extra")
    assert (reject.kind, reject.row) == (RejectKind.CSV_LINE, 2)
    assert reject.reason.startswith("malformed CSV line: ")


@dataclass
class _Limits:
    inventory: Path
    max_rejects: int | None = None
    rejects_path: Path | None = None


def test_an_inventory_row_with_a_bad_value_is_an_inventory_value_reject(tmp_path):
    estate = Estate()
    estate.add("north", "SUP1", [CHF_A, ESME_X])
    rows = [dict(r) for r in estate.rows]
    rows.append({**rows[0]})  # a duplicate device
    rows.append({**rows[1], "device_id": "00-DB-00-00-00-00-00-99", "region": "mars"})
    path = write_csv(tmp_path / "inventory.csv", rows[0].keys(), rows)
    con = connect(EngineSettings(threads=1), tmp_path)
    try:
        found = load_estate(con, path, reject_sample=5)
    finally:
        con.close()
    rejects = Rejects()
    handle_rejects(_Limits(path), found, rejects)
    assert {r.kind for r in rejects.rows} == {RejectKind.INVENTORY_VALUE}
    assert sorted(r.reason for r in rejects.rows) == [
        "device_id: duplicate of row 1",
        "region: expected north, central or south",
    ]


def test_counts_go_by_kind_not_by_the_reasons_text():
    rejects = Rejects(
        [
            Reject(RejectKind.CSV_LINE, "a.csv", 2, "malformed CSV line: Expected 3 columns"),
            Reject(RejectKind.CSV_LINE, "a.csv", 3, "a line told in other words"),
            Reject(RejectKind.ALERT_VALUE, "a.csv", 4, "malformed CSV line lookalike"),
        ]
    )
    assert [rejects.count_of(kind) for kind in RejectKind] == [0, 1, 2]


def test_the_report_counts_lines_that_do_not_split_by_their_kind(tmp_path, monkeypatch):
    estate = Estate()
    estate.add("north", "SUP1", [CHF_A, ESME_X])
    inventory = estate.write(tmp_path / "inventory.csv")
    meter = estate.installations[0].devices["ESME"]
    alerts = write_alerts(tmp_path / "alerts.csv", [alert(meter, "8F35", at(0, 10))])
    found = Rejects(
        [
            Reject(RejectKind.CSV_LINE, str(alerts), 2, "a line told in other words"),
            Reject(RejectKind.CSV_LINE, str(alerts), 3, "another one"),
            Reject(RejectKind.ALERT_VALUE, str(alerts), 4, "malformed CSV line lookalike"),
        ]
    )
    monkeypatch.setattr(analyse_module, "collect_alert_rejects", lambda *args, **kwargs: found)
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[alerts]))
    # The pass counted no rejects itself: the two CSV_LINE rejects are all the report adds.
    assert report["inputs"]["alerts"]["rejected_rows"] == 2
