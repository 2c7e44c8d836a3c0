"""A firmware rolled out mid-window, throttled storms, a supplier's configuration, and impact."""

from __future__ import annotations

import random

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from tests.tracker.engine.builders import (
    CHF_A,
    CHF_B,
    ESME_X,
    ESME_Y,
    Estate,
    alert,
    at,
    daily_background,
    storm,
)
from tests.tracker.engine.scenarios import finding_keys, grid_estate, key, meters, write

NEW_FIRMWARE = ("ESME", "2222", "00000022", "00000002")
DAYS = 14


def _analyse(tmp_path, estate, rows, rules: str | None = None):
    inventory, alerts = write(tmp_path, estate, rows)
    rules_path = None
    if rules is not None:
        rules_path = tmp_path / "rules.toml"
        rules_path.write_text(rules)
    return analyse(AnalyseRequest(inventory=inventory, alerts=[alerts], rules_path=rules_path))


def test_a_firmware_rolled_out_mid_window_shows_from_its_onset(tmp_path):
    """ESME Y's new firmware reaches 60 installations on day 9 of 14 and storms from then on:
    persistence over the whole window would be 5/14, below `established`'s 0.5."""
    estate = grid_estate(regions=("north",))
    estate.add("north", "SUP1", [CHF_A, NEW_FIRMWARE], 30)
    estate.add("north", "SUP2", [CHF_B, NEW_FIRMWARE], 30)
    rng = random.Random(41)
    rows = daily_background(estate, DAYS, rng)
    rows += storm(meters(estate, NEW_FIRMWARE), range(9, DAYS), rng)
    [finding] = _analyse(tmp_path, estate, rows)["findings"]
    assert finding_keys(finding) == [key(NEW_FIRMWARE)]
    assert finding["onset"] == at(9, 0).date().isoformat()
    assert finding["first_seen"] <= finding["onset"]  # a stray early day may show too
    assert finding["last_seen"] == at(DAYS - 1, 0).date().isoformat()
    assert finding["persistence"] >= 0.8
    assert finding["certainty"] == "established"
    daily = finding["daily"]
    assert [d["day"] for d in daily] == [at(i, 0).date().isoformat() for i in range(DAYS)]
    assert sum(d["superfluous_alerts"] for d in daily) == finding["superfluous_alerts"]
    assert sum(d["alerts"] for d in daily) == finding["alerts"]
    assert all(d["affected_installations"] == 0 for d in daily[:9])
    assert min(d["affected_installations"] for d in daily[9:]) >= 30


def test_a_problem_reported_through_throttled_alerts_is_found(tmp_path):
    """DCC consolidates ESME Y's repeats: one message a day carrying ThrottledAlertCount 8."""
    estate = grid_estate(regions=("north",))
    rng = random.Random(42)
    rows = daily_background(estate, 7, rng)
    for meter in meters(estate, ESME_Y):
        for day in range(7):
            rows.append(alert(meter, "8F35", at(day, 60_000 + rng.randrange(3600)), throttled=8))
    [finding] = _analyse(tmp_path, estate, rows)["findings"]
    assert finding_keys(finding) == [key(ESME_Y)]
    assert finding["certainty"] == "established"


def test_a_throttled_storm_at_a_few_installations_is_not_corroborated(tmp_path):
    """Three meters of one DMC each send a throttled storm (30 alerts a message) every day."""
    estate = grid_estate(regions=("north",))
    rng = random.Random(43)
    rows = daily_background(estate, 7, rng)
    for meter in meters(estate, CHF_A, ESME_X)[:3]:
        for day in range(7):
            rows.append(alert(meter, "8F35", at(day, 50_000), throttled=30))
            rows.append(alert(meter, "8F35", at(day, 50_030), throttled=30))
    for finding in _analyse(tmp_path, estate, rows)["findings"]:
        assert finding["certainty"] == "indicative", finding


def test_a_suppliers_configuration_doubling_its_dmcs_is_not_corroborated(tmp_path):
    """One supplier's installations repeat twice as often whatever they hold, and the supplier
    has two DMCs of its own: twice the region is inside the natural spread of DMCs."""
    estate = grid_estate(regions=("north",))
    estate.add("north", "SUP9", [CHF_A, ESME_Y], 40)
    estate.add("north", "SUP9", [CHF_B, ESME_X], 40)
    rng = random.Random(44)
    rows = []
    busy = Estate(installations=[i for i in estate.installations if i.supplier == "SUP9"])
    calm = Estate(installations=[i for i in estate.installations if i.supplier != "SUP9"])
    rows += daily_background(calm, 7, rng, repeat_chance=0.3)
    rows += daily_background(busy, 7, rng, repeat_chance=0.6)
    for finding in _analyse(tmp_path, estate, rows)["findings"]:
        assert finding["certainty"] not in {"established", "corroborated"}, finding


def test_a_certain_finding_without_impact_stays_indicative(tmp_path):
    estate = grid_estate(regions=("north",))
    rng = random.Random(45)
    rows = daily_background(estate, 7, rng)
    rows += storm(meters(estate, ESME_Y), range(7), rng)
    high_bar = "\n".join(
        f"[certainty.{level}]\nmin_excess_alerts_per_day = 1e9\n"
        for level in ("established", "corroborated")
    )
    [default] = _analyse(tmp_path, estate, rows)["findings"]
    [strict] = _analyse(tmp_path, estate, rows, rules=high_bar)["findings"]
    assert default["certainty"] == "established"
    assert strict["certainty"] == "indicative"
    assert strict["q_value"] == default["q_value"]
