from __future__ import annotations

import pytest

from kir.tracker.engine.errors import InputFileError
from kir.tracker.engine.rules import load_rules
from tests.tracker.engine.builders import CHF_A, ESME_X, Estate, alert, at, run_scan


@pytest.fixture
def one_meter():
    estate = Estate()
    [inst] = estate.add("north", "SUP1", [CHF_A, ESME_X])
    return estate, inst.devices["ESME"], inst.devices["CHF"]


def test_it_ships_documented_defaults():
    rules = load_rules()
    assert rules.repeat_window_seconds == 300
    assert [(p.first, p.second) for p in rules.flapping] == [("81A3", "81A2")]
    assert rules.source == "defaults"


def test_it_merges_a_partial_user_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[repeat]\nwindow_seconds = 60\n[codes."8f35"]\nwindow_seconds = 0\n')
    rules = load_rules(path)
    assert rules.repeat_window_seconds == 60
    assert rules.window_for("8F35") == 0
    assert rules.alpha == 0.05  # untouched default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[repeat\n", "not valid TOML"),
        ("[repeat]\nwindow_seconds = -1\n", "window_seconds"),
        ('[exclude]\ncodes = ["nope!"]\n', "not an alert code"),
        ('[[flapping]]\nfirst = "81A3"\nsecond = "81A3"\nwindow_seconds = 5\n', "must differ"),
    ],
)
def test_it_rejects_bad_rules_naming_the_problem(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(InputFileError, match=message):
        load_rules(path)


def test_it_flags_repeats_within_the_window_only(tmp_path, one_meter):
    estate, meter, _hub = one_meter
    rows = [
        alert(meter, "8F35", at(0, 1000)),
        alert(meter, "8F35", at(0, 1100)),  # 100 s later: repeat
        alert(meter, "8F35", at(0, 1399)),  # 299 s after the previous: repeat (chained)
        alert(meter, "8F35", at(0, 1700)),  # 301 s: new information
        alert(meter, "8145", at(0, 1710)),  # another code is not a repeat
    ]
    assert run_scan(tmp_path, estate, rows) == {"8F35": (4, 2), "8145": (1, 0)}


def test_it_applies_per_code_windows_and_switches(tmp_path, one_meter):
    estate, meter, _hub = one_meter
    rows = [alert(meter, "8F35", at(0, t)) for t in (0, 100, 200)]
    rows += [alert(meter, "8145", at(0, t)) for t in (0, 500)]
    rules = '[codes."8F35"]\nwindow_seconds = 0\n[codes."8145"]\nwindow_seconds = 600\n'
    assert run_scan(tmp_path, estate, rows, rules) == {"8F35": (3, 0), "8145": (2, 1)}


def test_it_flags_both_halves_of_a_flap_and_nothing_else(tmp_path, one_meter):
    estate, meter, _hub = one_meter
    rows = [
        alert(meter, "81A3", at(0, 1000)),
        alert(meter, "81A2", at(0, 1030)),  # flap: both superfluous
        alert(meter, "81A3", at(0, 5000)),
        alert(meter, "81A2", at(0, 5400)),  # reconnected after 400 s: real
        alert(meter, "81A2", at(0, 9000)),
        alert(meter, "81A3", at(0, 9010)),  # connect then disconnect is not a flap
    ]
    assert run_scan(tmp_path, estate, rows) == {"81A3": (3, 1), "81A2": (3, 1)}


def test_it_counts_throttled_alerts_as_that_many(tmp_path, one_meter):
    estate, meter, _hub = one_meter
    rows = [
        alert(meter, "8F3F", at(0, 1000), throttled=5),  # 5 alerts, 4 of them repeats
        alert(meter, "8F3F", at(0, 1060)),  # a repeat of the throttled message
        alert(meter, "8F3F", at(0, 9000)),
    ]
    assert run_scan(tmp_path, estate, rows) == {"8F3F": (7, 5)}


def test_it_keeps_devices_apart(tmp_path, one_meter):
    estate, meter, hub = one_meter
    rows = [alert(meter, "8145", at(0, 1000)), alert(hub, "8145", at(0, 1001))]
    assert run_scan(tmp_path, estate, rows) == {"8145": (2, 0)}
