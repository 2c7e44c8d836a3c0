"""The demo's tracker history: daily runs over the synthetic estate, stored once."""

from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory
from kir.tracker.demo import seed_tracker_demo
from kir.tracker.models import FindingSupplierView, RunSource, RunStatus, TrackerRun
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_it_stores_daily_runs_once_with_supplier_views() -> None:
    brightwater = OrganisationFactory(
        name="Brightwater Energy", slug="brightwater", category=PartyCategory.LARGE_SUPPLIER
    )
    summary = seed_tracker_demo(days=3)
    runs = list(TrackerRun.objects.order_by("created_at"))
    assert summary.startswith("3 daily runs stored")
    assert [r.source for r in runs] == [RunSource.DAILY] * 3
    assert all(r.status == RunStatus.SUCCEEDED for r in runs)
    assert [r.window_days for r in runs] == [1, 2, 3]
    assert runs[-1].findings_count > 0
    assert FindingSupplierView.objects.filter(organisation=brightwater).exists()
    assert seed_tracker_demo(days=3) == "tracker demo runs already present"
    assert TrackerRun.objects.count() == 3
