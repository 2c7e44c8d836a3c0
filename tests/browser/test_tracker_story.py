"""Issue 12's "Done when", in Chromium through the pages: DCC uploads an alert file and an
inventory, the worker runs it while the run page shows its progress, SECAS proposes an edition and
a second administrator publishes it once the named manufacturer has been told, a supplier sees
its own drill-down and another Party only the disclosure-controlled aggregates, the finding page
shows its charts, and DCC raises a draft issue with products, figures and evidence."""

from __future__ import annotations

import duckdb
import pytest
from playwright.sync_api import Page, expect

from kir.accounts.models import PartyCategory, Role
from kir.catalogue.models import Manufacturer
from kir.register.models import Issue
from kir.tracker.engine.synthetic import write_synthetic_dataset
from kir.tracker.models import (
    FindingSupplierView,
    ManufacturerFindingNotice,
    SupplierCode,
    TrackerEdition,
    TrackerRun,
)
from tests.browser.test_seed_story import sign_in
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def files(tmp_path):
    write_synthetic_dataset(tmp_path, devices=3000, alerts=40_000, days=5, seed=3)
    alerts = sorted((tmp_path / "alerts").iterdir())
    return tmp_path / "inventory.parquet", alerts


@pytest.fixture
def cast(files, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    inventory, _ = files
    makers = OrganisationFactory(name="Maker Co", category=PartyCategory.MANUFACTURER)
    ids = duckdb.sql(f"SELECT DISTINCT manufacturer FROM '{inventory}'").fetchall()
    for (identifier,) in ids:
        Manufacturer.objects.create(
            identifier=identifier, name=f"Maker {identifier}", organisation=makers
        )
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    supplier = OrganisationFactory(name="Brightwater", category=PartyCategory.LARGE_SUPPLIER)
    network = OrganisationFactory(name="Pennine", category=PartyCategory.OTHER_SEC_PARTY)
    SupplierCode.objects.create(code="SUP-01", organisation=supplier)
    for username, organisation, role in [
        ("dcc-coordinator", dcc, Role.COORDINATOR),
        ("secas-admin", secas, Role.ADMINISTRATOR),
        ("secas-approver", secas, Role.ADMINISTRATOR),
        ("maker", makers, Role.CONTRIBUTOR),
        ("supplier", supplier, Role.VIEWER),
        ("network", network, Role.VIEWER),
    ]:
        UserFactory(username=username, organisation=organisation, role=role)


def upload_and_run(page: Page, files) -> TrackerRun:
    inventory, alerts = files
    page.goto("/tracker/runs/new/")
    page.get_by_label("Inventory").set_input_files(str(inventory))
    page.get_by_label("Alert files").set_input_files([str(p) for p in alerts])
    page.get_by_role("button", name="Queue the run").click()
    expect(page.get_by_text("This page refreshes every")).to_be_visible()
    run = TrackerRun.objects.get()
    # The run page refreshes itself while the worker runs the engine, until it is done.
    expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=120_000)
    run.refresh_from_db()
    assert run.findings_count > 0, run.error
    return run


def publish_edition(new_page, run: TrackerRun) -> TrackerEdition:
    proposer = new_page()
    sign_in(proposer, "secas-admin")
    proposer.goto("/tracker/editions/")
    proposer.get_by_label("Run").select_option(str(run.pk))
    proposer.get_by_role("button", name="Propose edition").click()
    expect(proposer.get_by_role("heading", level=1)).to_contain_text("Tracker edition 1")
    expect(
        proposer.get_by_text("A correlation is not a finding of responsibility").first
    ).to_be_visible()
    approver = new_page()
    sign_in(approver, "secas-approver")
    approver.goto("/tracker/editions/1/")
    # The worker tells the manufacturer; the page says so before approval can succeed.
    for _ in range(30):
        if approver.get_by_text("Maker Co: told").count():
            break
        approver.wait_for_timeout(500)
        approver.reload()
    approver.get_by_role("button", name="Approve and publish edition 1").click()
    expect(approver.get_by_text("is published to every Party")).to_be_visible()
    edition = TrackerEdition.objects.get()
    assert edition.status == "published"
    notice = ManufacturerFindingNotice.objects.filter(edition=edition).first()
    assert notice is not None and notice.job.finished_at < edition.published_at
    return edition


def test_the_tracker_story(
    new_page, live_server, outbox_worker, files, cast, register_reference_data
):
    dcc = new_page()
    sign_in(dcc, "dcc-coordinator")
    run = upload_and_run(dcc, files)
    edition = publish_edition(new_page, run)

    own = FindingSupplierView.objects.filter(
        finding__in=edition.findings.all(), organisation__name="Brightwater"
    ).first()
    finding = own.finding if own else edition.findings.first()
    supplier = new_page()
    sign_in(supplier, "supplier")
    supplier.goto("/tracker/")
    expect(
        supplier.get_by_text("not a finding of responsibility or non-compliance").first
    ).to_be_visible()
    supplier.goto(f"/tracker/findings/{finding.pk}/")
    if own is not None:
        expect(supplier.get_by_role("heading", name="Your installations")).to_be_visible()
    network = new_page()
    sign_in(network, "network")
    network.goto(f"/tracker/findings/{finding.pk}/")
    expect(network.get_by_role("heading", level=1)).to_contain_text(finding.alert_code)
    text = network.content()
    assert "Your installations" not in text and "Devices (drill-down)" not in text
    for device in finding.devices[:5]:
        assert device["device_id"] not in text
    if finding.parties_suppressed:
        expect(network.get_by_text("Suppressed:").first).to_be_visible()

    dcc.goto(f"/tracker/findings/{finding.pk}/")
    charts = dcc.locator("svg.chart[role=img]")
    expect(charts).to_have_count(2)
    expect(
        dcc.get_by_role("table", name="Superfluous alerts per installation-day, by day")
    ).to_be_visible()
    dcc.get_by_role("button", name="Raise a draft issue").click()
    expect(dcc.get_by_text("was raised from the finding")).to_be_visible()
    issue = Issue.objects.get()
    assert issue.category == "superfluous_alerts" and issue.excess_alerts_per_day
    assert issue.products.exists() or "for SECAS to resolve" in issue.description
    assert issue.evidence.filter(description__startswith="Tracker finding figures").exists()
    expect(dcc.get_by_role("heading", name="Tracker finding")).to_be_visible()
