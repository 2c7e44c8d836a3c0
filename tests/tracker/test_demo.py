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


def test_dcc_starts_a_run_over_the_kept_daily_state(settings) -> None:
    from kir.accounts.models import Role
    from kir.outbox.worker import deliver_due
    from kir.tracker.demo import demo_dir
    from kir.tracker.services import tracker_run_create
    from tests.factories import UserFactory

    seed_tracker_demo(days=2)
    settings.TRACKER_STATE_DIR = str(demo_dir() / "state")
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    coordinator = UserFactory(organisation=dcc, role=Role.COORDINATOR)
    run = tracker_run_create(actor=coordinator, use_state=True)
    assert run.source == RunSource.STATE and run.inventory_path.endswith("inventory.parquet")
    deliver_due()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.window_days == 2 and run.findings_count > 0
