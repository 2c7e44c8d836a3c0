"""Fix verified by telemetry: gone, still there, or not yet measurable, with the figures."""

from __future__ import annotations

import csv

import pytest
from django.core.cache import cache
from django.test import Client

from kir.register.services import issue_update
from kir.tracker.engine.inputs import INVENTORY_COLUMNS
from kir.tracker.fix_check import (
    GONE,
    MIN_UPGRADED,
    NOT_MEASURABLE,
    STILL_THERE,
    fix_checks_for_issue,
)
from kir.tracker.raise_issue import issue_draft_from_finding
from tests.tracker.cast import tracker_cast

FIXED = "00010400"


def _inventory(path, upgraded: int, affected: int = 50):
    columns = list(INVENTORY_COLUMNS)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for i in range(upgraded + affected):
            firmware = FIXED if i < upgraded else "00010300"
            out.writerow(
                [
                    f"00-DB-00-00-00-00-{i // 256:02X}-{i % 256:02X}",
                    f"I{i}",
                    "north",
                    "BW",
                    "CHF",
                    "00B1",
                    "0000B001",
                    "0001",
                    firmware,
                ]
            )
            out.writerow(
                [
                    f"00-DC-00-00-00-00-{i // 256:02X}-{i % 256:02X}",
                    f"I{i}",
                    "north",
                    "BW",
                    "ESME",
                    "00A1",
                    "0000A001",
                    "0001",
                    "00040200",
                ]
            )


@pytest.fixture
def cast(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    return tracker_cast()


def _issue_with_fix(cast, run):
    link = issue_draft_from_finding(actor=cast.dcc, finding=run.findings.get(position=0))
    issue = link.issue
    return issue_update(
        issue=issue,
        actor=cast.dcc,
        expected_version=issue.version,
        products=[{"device_version": cast.hub.pk, "first_fixed_firmware": FIXED}],
    )


def _run_with_inventory(cast, tmp_path, upgraded, findings=None):
    run = cast.run(findings or [{"parts": [cast.hub]}])
    path = tmp_path / f"inventory-{run.pk}.csv"
    _inventory(path, upgraded)
    run.inventory_path = str(path)
    run.save(update_fields=["inventory_path"])
    return run


def test_gone_when_enough_installations_upgraded_and_no_finding_has_the_fix(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=5)
    issue = _issue_with_fix(cast, run)
    [early] = fix_checks_for_issue(issue)
    assert early.verdict == NOT_MEASURABLE and early.upgraded_installations == 5
    _run_with_inventory(cast, tmp_path, upgraded=MIN_UPGRADED + 10)
    [check] = fix_checks_for_issue(issue)
    assert check.verdict == GONE and check.upgraded_installations == MIN_UPGRADED + 10
    assert check.affected_excess == 120.0


def test_still_there_when_a_later_finding_has_the_fixed_firmware(cast, tmp_path):
    from kir.catalogue.models import DeviceVersion

    run = _run_with_inventory(cast, tmp_path, upgraded=0)
    issue = _issue_with_fix(cast, run)
    fixed = DeviceVersion.objects.create(
        device_model=cast.hub.device_model, hardware_version="0001", firmware_version=FIXED
    )
    _run_with_inventory(
        cast,
        tmp_path,
        upgraded=60,
        findings=[{"parts": [cast.hub]}, {"parts": [fixed], "excess": 80.0}],
    )
    [check] = fix_checks_for_issue(issue)
    assert check.verdict == STILL_THERE and check.fixed_excess == 80.0


def test_the_issue_and_finding_pages_say_it(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=MIN_UPGRADED)
    issue = _issue_with_fix(cast, run)
    client = Client()
    client.force_login(cast.dcc)
    text = client.get(f"/issues/{issue.human_id}/").content.decode()
    assert "Fix verified by telemetry" in text and f"{FIXED}</code>: gone." in text
    assert "Live figures" in text or "Tracker finding" in text
    finding = run.findings.get()
    assert (
        f"{FIXED}</code>: gone." in client.get(f"/tracker/findings/{finding.pk}/").content.decode()
    )
