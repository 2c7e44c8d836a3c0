"""The tracker's audience rule: dcc sees all, others the published editions' parties view."""

from __future__ import annotations

import pytest

from kir.outbox.worker import deliver_due
from kir.tracker import editions
from kir.tracker.models import FindingSupplierView
from kir.tracker.selectors import (
    editions_visible_to,
    finding_figures_for,
    findings_visible_to,
    tracker_audience_for,
)
from tests.tracker.cast import tracker_cast


@pytest.fixture
def cast(db):
    return tracker_cast()


def test_audiences(cast):
    assert [
        tracker_audience_for(cast.users[p]) for p in ("admin_a", "dcc", "supplier", "hubline")
    ] == [
        "dcc",
        "dcc",
        "supplier",
        "parties",
    ]


def test_only_published_findings_reach_parties_and_told_makers_see_theirs_early(cast):
    run = cast.run([{"parts": [cast.hub]}])
    finding = run.findings.get()
    assert list(findings_visible_to(cast.dcc)) == [finding]
    assert not findings_visible_to(cast.supplier).exists()
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    assert list(findings_visible_to(cast.hubline)) == [finding]
    assert not findings_visible_to(cast.meterix).exists()
    assert not editions_visible_to(cast.supplier).exists()
    deliver_due()
    editions.edition_approve(actor=cast.admin_b, edition=edition)
    assert list(findings_visible_to(cast.supplier)) == [finding]
    assert list(editions_visible_to(cast.meterix)) == [edition]


def test_figures_follow_the_audience(cast):
    finding = cast.run([{"parts": [cast.hub]}]).findings.get()
    finding.parties_view = {"suppressed": True, "installations": None, "daily": None}
    finding.devices = [{"device_id": "00-DB-12-34-56-78-90-A0"}]
    finding.save()
    FindingSupplierView.objects.create(
        finding=finding,
        organisation=cast.supplier.organisation,
        supplier_code="BW",
        drilldown={"devices": [{"device_id": "00-DB-12-34-56-78-90-A1"}]},
    )
    full = finding_figures_for(cast.dcc, finding)
    assert full["installations"] == 200 and full["devices"] and full["daily"]
    parties = finding_figures_for(cast.meterix, finding)
    assert parties["suppressed"] and parties["installations"] is None and "devices" not in parties
    own = finding_figures_for(cast.supplier, finding)
    assert own["own_drilldown"]["devices"][0]["device_id"].endswith("A1")
