from __future__ import annotations

import csv
import gzip
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.errors import InputFileError, MissingColumnError, TooManyRejectsError
from kir.tracker.engine.inputs import prepare_alerts
from tests.tracker.engine.builders import (
    CHF_A,
    ESME_X,
    Estate,
    alert,
    at,
    run_scan,
    write_alerts,
    write_csv,
)


@pytest.fixture
def estate():
    built = Estate()
    built.add("north", "SUP1", [CHF_A, ESME_X], 2)
    return built


def _rows(estate):
    first, second = estate.installations
    meter, hub = first.devices["ESME"], first.devices["CHF"]
    return [
        alert(meter, "8F35", at(0, 1000)),
        alert(meter, "8F35", at(0, 1010)),
        alert(hub, "N24", at(0, 2000), throttled=3),
        alert(second.devices["ESME"], "81A3", at(1, 10)),
        alert(second.devices["ESME"], "81A2", at(1, 20)),
    ]


EXPECTED = {"8F35": (2, 1), "N24": (3, 2), "81A3": (1, 1), "81A2": (1, 1)}


@pytest.mark.parametrize("name", ["alerts.csv", "alerts.csv.gz", "alerts.parquet"])
def test_it_reads_each_tabular_format_alike(tmp_path, estate, name):
    assert run_scan(tmp_path, estate, _rows(estate), alerts_name=name) == EXPECTED


def _duis(rows, wrapper=True):
    messages = []
    for counter, row in enumerate(rows, start=1):
        code = row["alert_code"]
        body = (
            f"<sr:DCCAlertMessage><sr:DCCAlertCode>{code}</sr:DCCAlertCode></sr:DCCAlertMessage>"
            if str(code).startswith("N")
            else f"<sr:DeviceAlertMessage><sr:AlertCode>{code}</sr:AlertCode>"
            "</sr:DeviceAlertMessage>"
        )
        throttled = row.get("throttled_count")
        extra = f"<sr:ThrottledAlertCount>{throttled}</sr:ThrottledAlertCount>" if throttled else ""
        messages.append(
            '<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">'
            f"<sr:Header><sr:ResponseID>{row['device_id']}:90-B3-D5-1F-30-01-00-00:{counter}"
            f"</sr:ResponseID><sr:ResponseDateTime>{row['raised_at']}</sr:ResponseDateTime>"
            f"</sr:Header><sr:Body>{body}{extra}</sr:Body></sr:Response>"
        )
    return '<?xml version="1.0"?>\n<Alerts>' + "\n".join(messages) + "</Alerts>"


def _scan_files(tmp_path, estate, files, **window):
    from kir.tracker.engine.connection import EngineSettings, connect
    from kir.tracker.engine.estate import load_estate
    from kir.tracker.engine.rules import load_rules
    from kir.tracker.engine.scan import scan_alerts

    inventory = estate.write(tmp_path / "inventory.parquet")
    with tempfile.TemporaryDirectory() as work:
        con = connect(EngineSettings(threads=2), Path(work))
        load_estate(con, inventory, reject_sample=5)
        summary = scan_alerts(con, prepare_alerts(files, Path(work)), load_rules(), **window)
        rows = con.execute(
            "SELECT code, sum(alerts), sum(superfluous) FROM agg_day "
            "WHERE region NOT LIKE '?%' GROUP BY code"
        ).fetchall()
        con.close()
    return {c: (int(a), int(s)) for c, a, s in rows}, summary


def test_it_reads_duis_xml_with_many_messages_and_throttled_counts(tmp_path, estate):
    path = tmp_path / "day.xml"
    path.write_text(_duis(_rows(estate)))
    counts, summary = _scan_files(tmp_path, estate, [path])
    assert counts == EXPECTED
    assert summary.messages == 5


def test_it_reads_many_files_and_globs_of_mixed_formats(tmp_path, estate):
    rows = _rows(estate)
    (tmp_path / "in").mkdir()
    write_alerts(tmp_path / "in" / "a.parquet", rows[:2])
    write_alerts(tmp_path / "in" / "b.csv.gz", rows[2:3])
    (tmp_path / "in" / "c.xml").write_text(_duis(rows[3:]))
    counts, _summary = _scan_files(tmp_path, estate, [str(tmp_path / "in" / "*")])
    assert counts == EXPECTED


def test_it_normalises_ids_and_zones(tmp_path, estate):
    meter = estate.installations[0].devices["ESME"]
    rows = [
        {
            "device_id": meter.lower(),
            "alert_code": "8f35",
            "raised_at": "2024-03-01T11:00:00+01:00",
        },
        {
            "device_id": meter.replace("-", ""),
            "alert_code": "8F35",
            "raised_at": "2024-03-01T10:01:00Z",
        },
    ]
    assert run_scan(tmp_path, estate, rows) == {"8F35": (2, 1)}
    # The same ids in Parquet take the fast path first and must still be found.
    assert run_scan(tmp_path, estate, rows, alerts_name="x.parquet") == {"8F35": (2, 1)}


def test_it_names_file_and_missing_column(tmp_path, estate):
    path = write_csv(tmp_path / "alerts.csv", ["device_id", "raised_at"], [])
    with pytest.raises(MissingColumnError, match=r"alerts\.csv.*'alert_code'"):
        prepare_alerts([path], tmp_path)
    inventory = tmp_path / "inv.csv"
    inventory.write_text("device_id,installation_id,region\n")
    with pytest.raises(MissingColumnError, match=r"inv\.csv.*'supplier'"):
        analyse(AnalyseRequest(inventory=inventory, alerts=[path]))


def test_it_fails_on_a_glob_matching_nothing_and_on_broken_xml(tmp_path):
    with pytest.raises(InputFileError, match="no file matches"):
        prepare_alerts([str(tmp_path / "*.parquet")], tmp_path)
    broken = tmp_path / "broken.xml"
    broken.write_text("<Alerts><sr:Response>")
    with pytest.raises(InputFileError, match=r"broken\.xml: not well-formed XML at line 1"):
        prepare_alerts([broken], tmp_path)


def _bad_rows(estate):
    meter = estate.installations[0].devices["ESME"]
    return [
        alert(meter, "8F35", at(0, 1000)),
        {"device_id": "not-a-device", "alert_code": "8F35", "raised_at": "2024-03-01T10:00:00Z"},
        {"device_id": meter, "alert_code": "8F35", "raised_at": "yesterday"},
        {"device_id": meter, "alert_code": "??", "raised_at": "2024-03-01T10:00:00Z"},
        {
            "device_id": meter,
            "alert_code": "8F35",
            "raised_at": "2024-03-01T10:00:00Z",
            "throttled_count": "0",
        },
        alert("00-DB-FF-FF-FF-FF-FF-01", "8F35", at(0, 50)),  # well formed, not in inventory
    ]


def test_it_writes_malformed_rows_with_reasons_and_reports_unknown_devices(tmp_path, estate):
    inventory = estate.write(tmp_path / "inventory.csv")
    alerts = write_alerts(tmp_path / "alerts.csv", _bad_rows(estate))
    rejects_path = tmp_path / "rejects.csv"
    report = analyse(
        AnalyseRequest(inventory=inventory, alerts=[alerts], rejects_path=rejects_path)
    )
    with rejects_path.open() as handle:
        rejects = list(csv.DictReader(handle))
    reasons = sorted(r["reason"].split(":")[0] for r in rejects)
    assert reasons == ["alert_code", "device_id", "raised_at", "throttled_count"]
    assert sorted(int(r["row"]) for r in rejects) == [2, 3, 4, 5]
    counts = report["inputs"]["alerts"]
    assert counts["rejected_rows"] == 4
    assert counts["unknown_device_alerts"] == 1
    assert counts["unknown_device_sample"] == ["00-DB-FF-FF-FF-FF-FF-01"]
    assert len(report["inputs"]["rejects_sample"]) == 4


def test_it_fails_past_max_rejects_and_writes_no_report(tmp_path, estate):
    inventory = estate.write(tmp_path / "inventory.csv")
    alerts = write_alerts(tmp_path / "alerts.csv.gz", _bad_rows(estate))
    with pytest.raises(TooManyRejectsError, match=r"4 malformed rows, more than --max-rejects 3"):
        analyse(AnalyseRequest(inventory=inventory, alerts=[alerts], max_rejects=3))
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[alerts], max_rejects=4))
    assert report["inputs"]["alerts"]["rejected_rows"] == 4


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_it_rejects_bad_inventory_rows(tmp_path, estate, suffix):
    rows = [dict(r) for r in estate.rows]
    rows.append({**rows[0]})  # duplicate device
    rows.append({**rows[1], "device_id": "00-DB-00-00-00-00-00-99", "region": "mars"})
    rows.append({**rows[1], "device_id": "00-DB-00-00-00-00-00-98", "manufacturer": "XYZ"})
    path = tmp_path / f"inventory{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        write_csv(path, rows[0].keys(), rows)
    alerts = write_alerts(tmp_path / "alerts.csv", _rows(estate))
    report = analyse(
        AnalyseRequest(inventory=path, alerts=[alerts], rejects_path=tmp_path / "r.csv")
    )
    assert report["inputs"]["inventory"]["rejected_rows"] == 3
    with (tmp_path / "r.csv").open() as handle:
        rejects = {int(r["row"]): r["reason"] for r in csv.DictReader(handle)}
    # Rows count from 1 after the header, in either format: the three appended rows.
    n = len(estate.rows)
    assert sorted(rejects) == [n + 1, n + 2, n + 3]
    assert rejects[n + 1] == "device_id: duplicate of row 1"
    assert rejects[n + 2].startswith("region: expected")
    assert rejects[n + 3].startswith("manufacturer")


def test_it_counts_csv_lines_that_do_not_split(tmp_path, estate):
    inventory = estate.write(tmp_path / "inventory.csv")
    meter = estate.installations[0].devices["ESME"]
    path = tmp_path / "alerts.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(f"device_id,alert_code,raised_at\n{meter},8F35,2024-03-01T10:00:00Z\n")
        handle.write(f"{meter},8F35,2024-03-01T10:00:10Z,extra,fields\n")
    with pytest.raises(TooManyRejectsError, match="malformed CSV line"):
        analyse(AnalyseRequest(inventory=inventory, alerts=[path], max_rejects=0))


def test_it_rejects_a_duis_message_without_a_time_naming_the_xml_file(tmp_path, estate):
    rows = _rows(estate)
    rows[1] = {**rows[1], "raised_at": ""}
    path = tmp_path / "day.xml"
    path.write_text(_duis(rows))
    inventory = estate.write(tmp_path / "inventory.csv")
    rejects_path = tmp_path / "rejects.csv"
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[path], rejects_path=rejects_path))
    assert report["inputs"]["alerts"]["rejected_rows"] == 1
    [reject] = list(csv.DictReader(rejects_path.open()))
    assert reject["file"] == f"{path} (DUIS message)" and reject["row"] == "2"
    assert reject["reason"].startswith("raised_at")


def test_a_window_still_sees_the_alert_just_before_it(tmp_path, estate):
    meter = estate.installations[0].devices["ESME"]
    rows = [alert(meter, "8F35", at(0, 86_340)), alert(meter, "8F35", at(1, 60))]
    inventory = estate.write(tmp_path / "inventory.csv")
    alerts = write_alerts(tmp_path / "alerts.csv", rows)
    day = at(1, 0).date()
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[alerts], day_from=day, day_to=day))
    assert report["window"] == {"from": str(day), "to": str(day), "days": 1}
    assert report["region_traffic"] == {"north": 1}  # only the window's alert is counted...
    counts, _summary = _scan_files(tmp_path, estate, [alerts], day_from=day, day_to=day)
    assert counts == {"8F35": (1, 1)}  # ...and it is a repeat of the one before the window


def _write_text(path, text):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _rejects_by_row(tmp_path, estate, path):
    inventory = estate.write(tmp_path / "inventory.csv")
    rejects_path = tmp_path / "rejects.csv"
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[path], rejects_path=rejects_path))
    with rejects_path.open() as handle:
        rows = list(csv.DictReader(handle))
    return report, [(int(r["row"]), r["reason"].split(":")[0], r["file"]) for r in rows]


@pytest.mark.parametrize("name", ["alerts.csv", "alerts.csv.gz"])
def test_reject_rows_after_lines_that_do_not_split_keep_their_own_numbers(tmp_path, estate, name):
    meter = estate.installations[0].devices["ESME"]
    lines = [
        "device_id,alert_code,raised_at",
        f"{meter},8F35,2024-03-01T10:00:00Z",  # row 1
        f"{meter},8F35,2024-03-01T10:00:10Z,extra,fields",  # row 2: too many fields
        f"{meter},8F35",  # row 3: too few
        f"{meter},8F35,2024-03-01T10:00:20Z",  # row 4
        f"{meter},8F35,yesterday",  # row 5: bad raised_at
        "not-a-device,8F35,2024-03-01T10:00:30Z",  # row 6: bad device id
        f"{meter},8F35,2024-03-01T10:00:40Z",  # row 7
    ]
    path = _write_text(tmp_path / name, "\n".join(lines) + "\n")
    report, rejects = _rejects_by_row(tmp_path, estate, path)
    assert [(row, reason) for row, reason, _file in rejects] == [
        (2, "malformed CSV line"),
        (3, "malformed CSV line"),
        (5, "raised_at"),
        (6, "device_id"),
    ]
    assert {file for _row, _reason, file in rejects} == {str(path)}
    assert report["inputs"]["alerts"]["rejected_rows"] == 4
    assert report["region_traffic"] == {"north": 3}


def test_reject_rows_count_records_not_empty_lines_or_quoted_line_breaks(tmp_path, estate):
    """Row N is the N-th record after the header: DuckDB skips empty lines, so they are not
    rows, and a quoted value running over two lines is one row."""
    meter = estate.installations[0].devices["ESME"]
    lines = [
        "device_id,alert_code,raised_at,note",
        f"{meter},8F35,2024-03-01T10:00:00Z,",  # row 1
        "",
        f'{meter},8F35,2024-03-01T10:00:05Z,"two\nlines"',  # row 2: read fine
        f"{meter},8F35,2024-03-01T10:00:10Z,,extra",  # row 3: too many fields
        "",
        "",
        f"{meter},8F35,yesterday,",  # row 4
        f'{meter},8F35,2024-03-01T10:00:15Z,"two\nlines",extra',  # row 5: too many fields
        f"{meter},8F35,2024-03-01T10:00:20Z,",  # row 6
        "",
        f"{meter},ZZZZZ,2024-03-01T10:00:30Z,",  # row 7: bad code
        "",
    ]
    path = _write_text(tmp_path / "alerts.csv", "\n".join(lines) + "\n")
    report, rejects = _rejects_by_row(tmp_path, estate, path)
    assert [(row, reason) for row, reason, _file in rejects] == [
        (3, "malformed CSV line"),
        (4, "raised_at"),
        (5, "malformed CSV line"),
        (7, "alert_code"),
    ]
    assert report["region_traffic"] == {"north": 3}
