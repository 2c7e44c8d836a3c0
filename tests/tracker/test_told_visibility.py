"""A manufacturer told about a finding sees it before the edition goes out; nobody else does."""

from __future__ import annotations

import pytest

from kir.outbox.worker import deliver_due
from kir.tracker import editions
from kir.tracker.selectors import findings_visible_to
from tests.tracker.cast import tracker_cast


@pytest.fixture
def cast(db):
    return tracker_cast()


def test_the_told_manufacturer_sees_its_finding_from_the_notice_on(cast):
    run = cast.run([{"parts": [cast.hub]}, {"parts": [cast.meter], "code": "8145"}])
    hub_finding = run.findings.get(alert_code="8F35")
    assert not findings_visible_to(cast.hubline).exists()
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    assert list(findings_visible_to(cast.hubline)) == [hub_finding]
    assert not findings_visible_to(cast.supplier).exists()
    deliver_due()
    editions.edition_approve(actor=cast.admin_b, edition=edition)
    assert findings_visible_to(cast.supplier).count() == 2
    assert findings_visible_to(cast.hubline).count() == 2
