"""Things that look like a guilty DMC but are not: none may reach `established`."""

from __future__ import annotations

import random

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from tests.tracker.engine.builders import CHF_A, ESME_X, ESME_Y, alert, at, daily_background
from tests.tracker.engine.scenarios import DAYS, grid_estate, meters, write


def _run(tmp_path, estate, rows):
    inventory, alerts = write(tmp_path, estate, rows)
    return analyse(AnalyseRequest(inventory=inventory, alerts=[alerts]))


def test_a_single_noisy_device_is_not_a_finding(tmp_path):
    estate = grid_estate(regions=("north",))
    rng = random.Random(11)
    rows = daily_background(estate, DAYS, rng)
    [noisy] = meters(estate, CHF_A, ESME_X)[:1]
    for day in range(DAYS):
        rows += [alert(noisy, "8F35", at(day, 40_000 + 5 * k)) for k in range(400)]
        rows.append(alert(noisy, "8F35", at(day, 70_000), throttled=30))
    report = _run(tmp_path, estate, rows)
    assert [f for f in report["findings"] if f["certainty"] == "established"] == []
    assert report["findings"] == []  # one installation is never enough


def test_a_regional_power_cut_is_not_a_finding(tmp_path):
    estate = grid_estate(regions=("south",))
    rng = random.Random(12)
    rows = daily_background(estate, DAYS, rng)
    for inst in estate.installations:  # day 3: every meter flickers, whatever its DMC
        meter = inst.devices["ESME"]
        t = 50_400 + rng.randrange(0, 5400)
        rows += [alert(meter, "8F35", at(3, t + k * 3)) for k in range(3)]
    report = _run(tmp_path, estate, rows)
    assert [f for f in report["findings"] if f["certainty"] == "established"] == []


def test_a_power_cut_that_hits_one_dmc_harder_stays_below_established(tmp_path):
    estate = grid_estate(regions=("south",))
    rng = random.Random(13)
    rows = daily_background(estate, DAYS, rng)
    for meter in meters(estate, ESME_Y):
        rows += [alert(meter, "8F35", at(3, 50_000 + k * 3)) for k in range(5)]
    report = _run(tmp_path, estate, rows)
    for finding in report["findings"]:
        assert finding["certainty"] != "established"
        assert finding["persistence"] <= 1 / DAYS + 1e-3


def test_a_large_normal_population_is_not_a_finding(tmp_path):
    estate = grid_estate(regions=("central",), per_dmc=10)
    estate.add("central", "SUP1", [CHF_A, ESME_X], 300)
    estate.add("central", "SUP2", [CHF_A, ESME_X], 300)
    rows = daily_background(estate, DAYS, random.Random(14), repeat_chance=0.3)
    report = _run(tmp_path, estate, rows)
    assert report["findings"] == []
