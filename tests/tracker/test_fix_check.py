"""Fix verified by telemetry: gone, still there, or not yet measurable, with the figures."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
from kir.register.services import issue_update
from kir.tracker.engine.inputs import INVENTORY_COLUMNS
from kir.tracker.fix_check import (
    GONE,
    MIN_UPGRADED,
    NOT_MEASURABLE,
    STILL_THERE,
    fix_checks_for_issue,
)
from kir.tracker.fix_check_jobs import fix_checks_queue_for_run, fix_checks_refresh
from kir.tracker.models import FixCheckResult
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


def _deliver_fix_checks() -> int:
    jobs = Job.objects.filter(kind="tracker_fix_checks", state=JobState.PENDING)
    queued = jobs.count()
    deliver_due()
    assert not jobs.exists()
    return queued


def test_the_pages_show_what_the_worker_stored_after_the_runs_files_are_gone(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=MIN_UPGRADED)
    issue = _issue_with_fix(cast, run)
    client = Client()
    client.force_login(cast.dcc)
    page = f"/issues/{issue.human_id}/"
    # Queued with the change of first fixed firmware, not computed by the request.
    assert "Fix verified by telemetry" not in client.get(page).content.decode()
    assert _deliver_fix_checks() == 1
    Path(run.inventory_path).unlink()  # the page never reads it again
    text = client.get(page).content.decode()
    assert "Fix verified by telemetry" in text and f"{FIXED}</code>: gone." in text
    assert f"{MIN_UPGRADED} installations run firmware {FIXED}" in text
    assert "Live figures" in text or "Tracker finding" in text
    finding = run.findings.get()
    shown = client.get(f"/tracker/findings/{finding.pk}/").content.decode()
    assert f"{FIXED}</code>: gone." in shown


def test_an_unchanged_fixed_firmware_queues_nothing(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=MIN_UPGRADED)
    issue = _issue_with_fix(cast, run)
    assert _deliver_fix_checks() == 1
    issue_update(
        issue=issue,
        actor=cast.dcc,
        expected_version=issue.version,
        products=[{"device_version": cast.hub.pk, "first_fixed_firmware": FIXED}],
    )
    assert _deliver_fix_checks() == 0


def test_a_stored_run_queues_a_recount_and_the_new_verdict_replaces_the_old(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=5)
    issue = _issue_with_fix(cast, run)
    _deliver_fix_checks()
    [before] = FixCheckResult.objects.filter(issue=issue)
    assert before.verdict == NOT_MEASURABLE and before.upgraded_installations == 5
    later = _run_with_inventory(cast, tmp_path, upgraded=MIN_UPGRADED + 1)
    with transaction.atomic():
        fix_checks_queue_for_run(later)
    assert _deliver_fix_checks() == 1
    [after] = FixCheckResult.objects.filter(issue=issue)
    assert after.verdict == GONE and after.run_id == later.pk


def test_a_run_queues_nothing_for_issues_without_a_fixed_firmware(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=5)
    issue_draft_from_finding(actor=cast.dcc, finding=run.findings.get(position=0))
    fix_checks_queue_for_run(run)
    assert _deliver_fix_checks() == 0
    assert not FixCheckResult.objects.exists()


def test_a_recount_of_an_unreadable_inventory_says_so_instead_of_failing(cast, tmp_path):
    run = _run_with_inventory(cast, tmp_path, upgraded=MIN_UPGRADED)
    issue = _issue_with_fix(cast, run)
    Path(run.inventory_path).write_text("not,an\ninventory,file\n")
    [check] = fix_checks_refresh(issue=issue)
    assert check.verdict == NOT_MEASURABLE and "no longer kept or readable" in check.explanation
