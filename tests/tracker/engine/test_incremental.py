from __future__ import annotations

import csv
import random

import pytest

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.incremental import IngestRequest, ingest
from tests.tracker.engine.builders import CHF_A, ESME_X, Estate, at, write_alerts
from tests.tracker.engine.scenarios import across_midnight, grid_estate, planted_rows


def _day_of(row):
    return str(row["raised_at"])[:10]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("incremental")
    estate = grid_estate(per_dmc=20)
    rows = planted_rows(estate, seed=9)
    rows += across_midnight(estate, random.Random(4), every=3)
    inventory = estate.write(tmp_path / "inventory.parquet")
    days = sorted({_day_of(r) for r in rows})
    files = [
        write_alerts(tmp_path / f"alerts-{d}.csv", [r for r in rows if _day_of(r) == d])
        for d in days
    ]
    return tmp_path, inventory, files


def _comparable(report):
    return {
        "findings": report["findings"],
        "traffic": report["region_traffic"],
        "window": report["window"],
        # Messages too: a row carried over midnight must not count again as the next day's.
        "counts": {k: report["inputs"]["alerts"][k] for k in ("messages", "alerts")},
    }


def test_ingested_days_equal_a_one_shot_run(data):
    tmp_path, inventory, files = data
    state = tmp_path / "state"
    for path in files:
        ingest(IngestRequest(inventory=inventory, alerts=[path], state_dir=state))
    from_state = analyse(AnalyseRequest(inventory=inventory, state_dir=state))
    one_shot = analyse(AnalyseRequest(inventory=inventory, alerts=files))
    assert from_state["findings"], "the planted problems are found"
    assert _comparable(from_state) == _comparable(one_shot)
    # A window inside the ingested days equals a one-shot run over the same window.
    window = {"day_from": at(2, 0).date(), "day_to": at(4, 0).date()}
    assert _comparable(
        analyse(AnalyseRequest(inventory=inventory, state_dir=state, **window))
    ) == _comparable(analyse(AnalyseRequest(inventory=inventory, alerts=files, **window)))


def test_it_counts_what_spans_midnight_only_when_carried(data, tmp_path):
    _tmp, inventory, files = data
    state = tmp_path / "gappy"
    # Ingesting day 2 without day 1 cannot see yesterday's last alerts: the totals differ.
    ingest(IngestRequest(inventory=inventory, alerts=[files[1]], state_dir=state))
    alone = analyse(AnalyseRequest(inventory=inventory, state_dir=state))
    ingest(IngestRequest(inventory=inventory, alerts=[files[0]], state_dir=state))
    state2 = tmp_path / "ordered"
    for path in files[:2]:
        ingest(IngestRequest(inventory=inventory, alerts=[path], state_dir=state2))
    window = {"day_from": at(1, 0).date(), "day_to": at(1, 0).date()}
    carried = analyse(AnalyseRequest(inventory=inventory, state_dir=state2, **window))
    one_shot = analyse(AnalyseRequest(inventory=inventory, alerts=files[:2], **window))
    assert carried["region_traffic"] == one_shot["region_traffic"]
    assert alone["region_traffic"] == carried["region_traffic"]  # alerts match...
    assert _superfluous(alone) != _superfluous(carried)  # ...superfluous ones did not


def _superfluous(report):
    return sum(f["superfluous_alerts"] for f in report["findings"])


def test_it_refuses_a_day_twice(data, tmp_path):
    _tmp, inventory, files = data
    state = tmp_path / "twice"
    ingest(IngestRequest(inventory=inventory, alerts=[files[0]], state_dir=state))
    with pytest.raises(TrackerError, match="already ingested"):
        ingest(IngestRequest(inventory=inventory, alerts=[files[0]], state_dir=state))
    assert len(list(state.iterdir())) == 1  # nothing half-written


def _alerts_of(files, devices, days=None):
    count = 0
    for path in files:
        with path.open() as handle:
            for row in csv.DictReader(handle):
                in_window = days is None or row["raised_at"][:10] in days
                count += row["device_id"] in devices and in_window
    return count


def test_history_of_a_dmc_no_longer_in_the_inventory_is_counted_and_left_out(data):
    tmp_path, inventory, files = data
    state = tmp_path / "retired"
    for path in files:
        ingest(IngestRequest(inventory=inventory, alerts=[path], state_dir=state))
    # The same estate as the fixture's, less every installation of one DMC (CHF A + ESME X).
    estate = grid_estate(per_dmc=20)
    gone = {i.installation_id for i in estate.installations if i.components == (CHF_A, ESME_X)}
    gone_devices = {
        dev for i in estate.installations if i.installation_id in gone for dev in i.devices.values()
    }
    reduced = Estate(rows=[r for r in estate.rows if r["installation_id"] not in gone])
    smaller = reduced.write(tmp_path / "inventory-without-one-dmc.parquet")

    for window, days in (
        ({}, None),
        (
            {"day_from": at(2, 0).date(), "day_to": at(4, 0).date()},
            {str(at(d, 0).date()) for d in (2, 3, 4)},
        ),
    ):
        expected = _alerts_of(files, gone_devices, days)
        assert expected > 0
        from_state = analyse(AnalyseRequest(inventory=smaller, state_dir=state, **window))
        counts = from_state["inputs"]["alerts"]
        assert counts["unmapped_history_alerts"] == expected
        assert counts["unmapped_history_dmcs"] == 1
        assert any(
            note.startswith(f"{expected} alerts from 1 DMC signature no longer in the inventory")
            for note in from_state["notes"]
        ), from_state["notes"]
        # Left out of everything else, exactly as a one-shot run with that inventory leaves
        # out the alerts of devices it does not know.
        one_shot = analyse(AnalyseRequest(inventory=smaller, alerts=files, **window))
        assert one_shot["inputs"]["alerts"]["unknown_device_alerts"] == expected
        assert from_state["findings"]
        assert _comparable(from_state) == _comparable(one_shot)
        assert counts["alerts"] == one_shot["inputs"]["alerts"]["alerts"]
