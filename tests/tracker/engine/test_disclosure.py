from __future__ import annotations

import random

import pytest

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from tests.tracker.engine.builders import (
    CHF_A,
    CHF_B,
    ESME_X,
    ESME_Y,
    ESME_Z,
    Estate,
    daily_background,
    storm,
)
from tests.tracker.engine.scenarios import DAYS, meters, write

CHF_C = ("CHF", "CCCC", "0000000C", "00000001")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three problem DMCs: well spread (shown), tiny (suppressed), one supplier's (suppressed)."""
    tmp_path = tmp_path_factory.mktemp("disclosure")
    estate = Estate()
    for k in range(60):
        estate.add("north", f"SUP{k % 3}", [CHF_A, ESME_X])  # normal
        estate.add("north", f"SUP{k % 3}", [CHF_A, ESME_Y])  # problem, spread
        estate.add("north", "SUP1", [CHF_B, ESME_X])  # problem, one supplier
    estate.add("north", "SUP2", [CHF_C, ESME_Z], 6)  # problem, too small
    for k in range(240):
        estate.add("north", f"SUP{k % 3}", [CHF_A, ESME_Z])  # normal, the bulk of the region
    rng = random.Random(21)
    rows = daily_background(estate, DAYS, rng)
    problem = meters(estate, CHF_A, ESME_Y) + meters(estate, CHF_B, ESME_X)
    rows += storm(problem + meters(estate, CHF_C, ESME_Z), range(DAYS), rng, chance=1.0)
    return write(tmp_path, estate, rows)


def _report(files, **kwargs):
    inventory, alerts = files
    return analyse(AnalyseRequest(inventory=inventory, alerts=[alerts], **kwargs))


def test_it_keeps_full_detail_for_dcc(files):
    report = _report(files, audience="dcc")
    assert len(report["findings"]) == 3
    for finding in report["findings"]:
        assert finding["suppressed"] is False
        assert finding["devices"], "DCC sees the devices behind a finding"
        assert {"device_id", "installation_id", "supplier"} <= set(finding["devices"][0])


def test_it_suppresses_small_and_dominated_cells_for_parties(files):
    report = _report(files, audience="parties")
    reasons = sorted(f.get("suppression_reason") or "shown" for f in report["findings"])
    assert reasons == [
        "fewer than 10 installations",
        "one supplier holds more than 80% of the installations",
        "shown",
    ]
    for finding in report["findings"]:
        assert "devices" not in finding
        if finding["suppressed"]:
            assert finding["installations"] is None and finding["superfluous_alerts"] is None
            assert finding["rate_ratio"] is None
    text = str(report)
    assert "INST-" not in text and "00-DB-" not in text


def test_it_limits_drilldown_to_the_suppliers_own_installations(files):
    for audience in ("dcc", "parties"):
        report = _report(files, audience=audience, supplier="SUP2")
        devices = [d for f in report["findings"] for d in f["devices"]]
        assert devices and {d["supplier"] for d in devices} == {"SUP2"}
