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


def test_its_findings_name_the_demo_catalogue_and_its_pages_list_them(settings) -> None:
    from django.test import Client

    from kir.catalogue.models import DMC
    from kir.tracker.demo_edition import seed_demo_edition
    from kir.tracker.models import FindingComponent, FindingDmc
    from kir.web.demo.devices import seed_catalogue
    from kir.web.demo.people import seed_people

    settings.KIR_DEMO = True
    seed_people()
    seed_catalogue()
    catalogue_dmcs = DMC.objects.count()
    summary = seed_tracker_demo(days=3)
    latest = TrackerRun.objects.order_by("-created_at").first()
    parts = FindingComponent.objects.filter(finding__run=latest)
    known = parts.filter(device_version__isnull=False)
    # The planted problems are on the most popular variants, which all have catalogue labels.
    assert known.count() >= parts.count() * 0.8 > 0, summary
    assert "finding components" in summary and "DMCs in the catalogue" in summary
    linked = FindingDmc.objects.filter(finding__run=latest, dmc__isnull=False)
    assert linked.exists() and DMC.objects.count() > catalogue_dmcs
    assert all(row.dmc.identifier == row.identifier for row in linked.select_related("dmc"))
    assert seed_demo_edition().startswith("edition 1 published")
    # Any Party reads the finding from the catalogue's model and DMC pages.
    from kir.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="heron-viewer"))
    shown = {"finding__edition_entries__edition__status": "published"}
    part = known.filter(**shown).select_related("device_version__device_model__manufacturer")[0]
    model = part.device_version.device_model
    page = client.get(f"/catalogue/models/{model.manufacturer.identifier}/{model.model_id}/")
    assert f"/tracker/findings/{part.finding_id}/" in page.content.decode()
    row = linked.filter(**shown)[0]
    page = client.get(f"/catalogue/dmcs/{row.identifier}/")
    assert "/tracker/findings/" in page.content.decode()
