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
from tests.tracker.engine.scenarios import (
    DAYS,
    finding_keys,
    grid_estate,
    key,
    meters,
    planted_rows,
    write,
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("planted")
    estate = grid_estate()
    inventory, alerts = write(tmp_path, estate, planted_rows(estate))
    return analyse(AnalyseRequest(inventory=inventory, alerts=[alerts]))


def _find(report, region, codes):
    return [f for f in report["findings"] if f["region"] == region and f["alert_code"] in codes]


@pytest.mark.parametrize("region", ["north", "central"])
def test_it_attributes_a_component_problem_to_the_component(report, region):
    [finding] = _find(report, region, {"8F0C"})
    assert finding["attribution"] == "component"
    assert finding_keys(finding) == [key(ESME_Y)]
    assert len(finding["dmcs"]) == 2  # one finding for every DMC holding it
    assert finding["certainty"] == "established"


@pytest.mark.parametrize("region", ["north", "central"])
def test_it_attributes_a_combination_only_problem_to_the_pair(report, region):
    found = _find(report, region, {"81A3", "81A2"})
    assert {f["alert_code"] for f in found} == {"81A3", "81A2"}
    for finding in found:
        assert finding["attribution"] == "combination"
        assert finding_keys(finding) == sorted([key(CHF_B), key(ESME_Z)])


def test_it_marks_a_region_only_problem(report):
    [north] = _find(report, "north", {"8F84"})
    assert finding_keys(north) == [key(ESME_X)]
    assert north["region_specific"] is True
    assert north["found_in_regions"] == ["north"]
    assert _find(report, "central", {"8F84"}) == []


def test_it_reports_the_contract_fields(report):
    contract = {
        "region", "alert_code", "components", "dmcs", "installations", "affected_installations",
        "alerts", "superfluous_alerts", "rate_ratio", "rate_ratio_ci", "q_value", "prevalence",
        "persistence", "excess_alerts_per_day", "share_of_region_traffic", "certainty",
    }  # fmt: skip
    for finding in report["findings"]:
        assert contract <= set(finding)
        low, high = finding["rate_ratio_ci"]
        # null stands for an unbounded figure (no superfluous alerts in the baseline)
        ratio = finding["rate_ratio"] if finding["rate_ratio"] is not None else float("inf")
        assert low <= ratio <= (high if high is not None else float("inf"))
        assert 0 <= finding["q_value"] <= 0.05
    assert set(report["window"]) >= {"from", "to", "days"} and report["window"]["days"] == DAYS


def test_it_makes_one_finding_of_one_component_over_many_dmcs(tmp_path):
    estate = Estate()
    hubs = [("CHF", "AAAA", "0000000A", f"{v:08X}") for v in range(1, 11)]
    for hub in hubs:
        for esme in (ESME_X, ESME_Y):
            for k in range(8):
                estate.add("south", f"SUP{k % 3}", [hub, esme])
    rng = random.Random(3)
    rows = daily_background(estate, DAYS, rng)
    rows += storm(meters(estate, ESME_Y), range(DAYS), rng)
    inventory, alerts = write(tmp_path, estate, rows)
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[alerts]))
    [finding] = report["findings"]
    assert finding_keys(finding) == [key(ESME_Y)]
    assert len(finding["dmcs"]) == 10


def test_it_names_the_whole_dmc_when_nothing_smaller_explains_it(tmp_path):
    estate = grid_estate(regions=("south",))
    rng = random.Random(5)
    rows = daily_background(estate, DAYS, rng)
    rows += storm(meters(estate, CHF_A, ESME_X), range(DAYS), rng)
    inventory, alerts = write(tmp_path, estate, rows)
    report = analyse(AnalyseRequest(inventory=inventory, alerts=[alerts]))
    [finding] = report["findings"]
    assert finding["attribution"] in {"dmc", "combination"}
    assert finding_keys(finding) == sorted([key(CHF_A), key(ESME_X)])
    assert len(finding["dmcs"]) == 1
