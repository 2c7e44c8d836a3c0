"""DCC's home page lists the tracker's work: runs running or failed, and the latest run's
findings that no edition includes yet; nobody else gets these lists."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.accounts.models import PartyCategory, Role
from kir.tracker.models import EditionFinding, RunStatus, TrackerEdition
from kir.tracker.store import store_findings
from tests.factories import OrganisationFactory, UserFactory
from tests.tracker.rows import finding_dict, succeeded_run

pytestmark = pytest.mark.django_db


def _home(user) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/").content.decode()


def test_dcc_sees_runs_to_watch_and_findings_awaiting_an_edition() -> None:
    dcc = UserFactory(organisation=OrganisationFactory(name="DCC", category=PartyCategory.DCC))
    older = succeeded_run()
    store_findings(older, [finding_dict("8F01", [])], {})
    latest = succeeded_run()
    store_findings(latest, [finding_dict("8F35", []), finding_dict("8F36", [])], {})
    edition = TrackerEdition.objects.create(run=latest, number=1, grade="indicative")
    EditionFinding.objects.create(edition=edition, finding=latest.findings.get(alert_code="8F36"))
    failed = succeeded_run(status=RunStatus.FAILED, error="alerts.csv: missing required column")
    running = succeeded_run(status=RunStatus.RUNNING, stage="flagging superfluous alerts...")
    page = _home(dcc)
    assert "Tracker runs running or failed (2)" in page
    assert f"Run {failed.pk}: failed" in page and "missing required column" in page
    assert f"Run {running.pk}: running" in page and "flagging superfluous alerts" in page
    assert "Findings of the latest run awaiting an edition (1)" in page
    assert "north 8F35" in page
    assert "8F36" not in page and "8F01" not in page


def test_other_organisations_get_no_tracker_worklist() -> None:
    run = succeeded_run()
    store_findings(run, [finding_dict("8F35", [])], {})
    for category in (PartyCategory.SECAS, PartyCategory.LARGE_SUPPLIER):
        user = UserFactory(
            organisation=OrganisationFactory(name=str(category), category=category),
            role=Role.ADMINISTRATOR,
        )
        page = _home(user)
        assert "Tracker runs" not in page and "awaiting an edition" not in page
