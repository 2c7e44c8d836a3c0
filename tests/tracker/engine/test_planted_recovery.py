"""End to end: the engine finds what the synthetic generator planted, and the decoys stay below
`established`. Ground truth comes from planted.json (see kir.tracker.engine.synthetic_planted)."""

from __future__ import annotations

from typing import Any

import pytest

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.synthetic import write_synthetic_dataset
from kir.tracker.engine.synthetic_planted import check_recovery

# One analysis of a 10,000-device estate (about 2,300 installations, 1,000 DMCs) serves every test.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("estate")
    manifest = write_synthetic_dataset(out, devices=10_000, alerts=150_000, days=7, seed=11)
    report = analyse(
        AnalyseRequest(
            inventory=out / manifest["files"]["inventory"],
            alerts=[str(out / name) for name in manifest["files"]["alerts"]],
            audience="dcc",
        )
    )
    return manifest, report


PROBLEMS = ["component", "combination", "region"]


def _key(components: list[dict[str, str]]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(c[k] for k in sorted(c)) for c in components)


def _problem(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in manifest["planted"] if p["name"] == name)


def _findings(report: dict[str, Any], region: str, codes: list[str]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["region"] == region and f["alert_code"] in codes]


@pytest.mark.parametrize("name", PROBLEMS)
def test_each_planted_problem_is_established_where_it_was_planted(
    run: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    manifest, report = run
    recovered = check_recovery(manifest, report)["planted"][name]
    assert list(recovered) == _problem(manifest, name)["regions"]
    for region, certainties in recovered.items():
        assert certainties and "established" in certainties, (name, region, certainties)


@pytest.mark.parametrize("name", PROBLEMS)
def test_the_excess_is_attributed_to_the_planted_components_only(
    run: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    """Nothing else takes the credit: every established finding for the planted code in the
    planted regions names exactly the planted components."""
    manifest, report = run
    problem = _problem(manifest, name)
    for region in problem["regions"]:
        for finding in _findings(report, region, problem["alert_codes"]):
            if finding["certainty"] == "established":
                assert _key(finding["components"]) == _key(problem["components"]), (
                    region,
                    finding["alert_code"],
                    finding["components"],
                )


def test_a_component_problem_is_one_finding_per_region_not_one_per_dmc(
    run: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, report = run
    problem = _problem(manifest, "component")
    for region in problem["regions"]:
        found = _findings(report, region, problem["alert_codes"])
        assert len(found) == 1, region
        assert set(found[0]["dmcs"]) == set(problem["dmcs_by_region"][region])


def test_the_region_problem_stays_in_its_region(
    run: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, report = run
    problem = _problem(manifest, "region")
    assert problem["regions"] == ["north"]
    for region in ("central", "south"):
        for finding in _findings(report, region, problem["alert_codes"]):
            assert finding["certainty"] != "established", finding


def test_decoys_never_reach_established(run: tuple[dict[str, Any], dict[str, Any]]) -> None:
    manifest, report = run
    decoys = check_recovery(manifest, report)["decoys"]
    assert set(decoys) == {"noisy_device", "power_cut", "popular_dmc"}
    for name, outcome in decoys.items():
        assert outcome["established_findings"] == 0, (name, outcome["examples"])


def test_the_report_counts_every_generated_alert(
    run: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, report = run
    alerts = report["inputs"]["alerts"]
    assert alerts["messages"] == manifest["counts"]["alert_rows"]
    assert alerts["alerts"] == manifest["counts"]["alerts_counting_throttled"]
    assert alerts["unknown_device_alerts"] == 0
    assert report["window"]["from"] == manifest["window"]["from"]
    assert report["window"]["to"] == manifest["window"]["to"]
