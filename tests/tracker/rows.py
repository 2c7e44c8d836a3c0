"""Findings shaped as the engine's dcc report gives them, for tests that need stored findings
without running the engine (the store and the selectors are what they test)."""

from __future__ import annotations

from kir.tracker.models import RunSource, RunStatus, TrackerRun

PART = {
    "device_type": "ESME",
    "manufacturer": "1A2B",
    "model": "00012345",
    "firmware_version": "01020304",
}


def device_row(n: int, supplier: str) -> dict:
    return {
        "device_id": f"00-00-00-00-00-00-00-{n:02X}",
        "installation_id": f"INST-{n}",
        "supplier": supplier,
        "superfluous_alerts": 100 - n,
    }


def finding_dict(code: str, devices: list[dict]) -> dict:
    return {
        "region": "north",
        "alert_code": code,
        "alert_description": "a test code",
        "attribution": "component",
        "components": [PART],
        "dmcs": ["DMC-0123456789AB"],
        "certainty": "established",
        "installations": 40,
        "affected_installations": 12,
        "alerts": 900,
        "superfluous_alerts": 700,
        "rate_per_installation_day": 2.5,
        "baseline_rate_per_installation_day": 0.1,
        "rate_ratio": 25.0,
        "raw_rate_ratio": 25.0,
        "rate_ratio_ci": [10.0, 50.0],
        "p_value": 1e-9,
        "q_value": 1e-8,
        "prevalence": 0.3,
        "baseline_prevalence": 0.01,
        "persistence": 1.0,
        "excess_alerts_per_day": 90.0,
        "share_of_region_traffic": 0.2,
        "largest_installation_share": 0.1,
        "natural_variation": {"ratio_to_typical": 20.0},
        "homogeneity": {"ratio_without_largest": 20.0},
        "region_specific": False,
        "found_in_regions": ["north"],
        "first_seen": "2026-11-02",
        "last_seen": "2026-11-08",
        "onset": None,
        "daily": [{"day": "2026-11-02", "alerts": 100, "superfluous_alerts": 90}],
        "suppressed": False,
        "devices": devices,
    }


def succeeded_run(**fields) -> TrackerRun:
    defaults = {
        "source": RunSource.CLI,
        "status": RunStatus.SUCCEEDED,
        "inventory_path": "inventory.csv",
        "rules_sha256": "0" * 64,
        "engine_version": "test",
    }
    return TrackerRun.objects.create(**(defaults | fields))
