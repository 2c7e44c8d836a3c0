from __future__ import annotations

import pytest

from kir.tracker.models import Certainty, TrackerFinding, TrackerRun, finding_key

PART = {"device_type": "ESME", "manufacturer": "00aa", "model": "0000000b", "firmware_version": "1"}
HUB = {"device_type": "CHF", "manufacturer": "00CC", "model": "0000000D", "firmware_version": "2"}


def test_finding_key_ignores_component_order_and_case() -> None:
    assert finding_key("north", "8F35", [PART, HUB]) == finding_key("NORTH", "8f35", [HUB, PART])


def test_finding_key_tells_region_code_and_parts_apart() -> None:
    key = finding_key("north", "8F35", [PART])
    assert key != finding_key("south", "8F35", [PART])
    assert key != finding_key("north", "8F36", [PART])
    assert key != finding_key("north", "8F35", [PART, HUB])


def test_certainty_at_least_lists_stronger_grades() -> None:
    assert Certainty.at_least("corroborated") == ["established", "corroborated"]


@pytest.mark.django_db
def test_a_run_holds_findings_in_position_order() -> None:
    run = TrackerRun.objects.create(
        source="cli", inventory_path="inv.csv", rules_sha256="0" * 64, engine_version="x"
    )
    for position in (1, 0):
        TrackerFinding.objects.create(
            run=run,
            position=position,
            key=finding_key("north", "8F35", [PART]) if position else "k",
            region="north",
            alert_code="8F35",
            certainty="indicative",
            attribution="device",
        )
    assert [f.position for f in run.findings.all()] == [0, 1]
