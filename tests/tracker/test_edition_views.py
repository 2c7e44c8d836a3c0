"""The tracker pages: home, finding (charts, history, responses), editions, and their actions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kir.outbox.worker import deliver_due
from kir.register.models import Issue
from kir.tracker import editions
from kir.tracker.models import EditionStatus, ManufacturerFindingResponse, TrackerEdition
from tests.clients import signed_in
from tests.tracker.cast import tracker_cast


@pytest.fixture
def cast(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tracker_cast()


@pytest.fixture
def published(cast):
    run = cast.run(
        [
            {"parts": [cast.hub], "excess": 300, "dmcs": ["DMC-00000000A1B2"]},
            {"parts": [cast.meter], "excess": 500, "region": "south"},
        ]
    )
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    return editions.edition_approve(actor=cast.admin_b, edition=edition)


def test_home_lists_the_latest_edition_per_region_with_catalogue_links(cast, published):
    text = signed_in(cast.supplier).get("/tracker/").content.decode()
    assert "North: edition 1" in text and "South: edition 1" in text
    assert "not a finding of responsibility or non-compliance" in text
    assert str(cast.hub) in text
    assert "/catalogue/models/00B1/0000B001/" in text
    assert "/catalogue/dmcs/DMC-00000000A1B2/" in text


def test_the_finding_page_draws_its_charts_with_tables(cast, published):
    finding = published.findings.get(region="north")
    response = signed_in(cast.supplier).get(f"/tracker/findings/{finding.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    start = text.index("<svg")
    svg = text[start : text.index("</svg>", start) + 6]
    assert ET.fromstring(svg).get("role") == "img"
    assert text.count('class="chart"') == 2
    assert "Superfluous alerts per installation-day, by day" in text
    assert "History across editions" in text and "edition 1" in text
    history = text[text.index('id="history-heading"') :]
    assert "<td>300</td>" in history[: history.index("</table>")]


def test_parties_see_suppressed_figures_and_no_devices(cast, published):
    finding = published.findings.get(region="north")
    finding.devices = [{"device_id": "00-DB-12-34-56-78-90-A0", "superfluous_alerts": 9}]
    finding.parties_view = {"suppressed": True, "suppression_reason": "fewer than 10 installations"}
    finding.save()
    text = signed_in(cast.meterix).get(f"/tracker/findings/{finding.pk}/").content.decode()
    assert "Suppressed: fewer than 10 installations" in text
    assert "00-DB-12-34-56-78-90-A0" not in text and "<svg" not in text
    dcc = signed_in(cast.dcc).get(f"/tracker/findings/{finding.pk}/").content.decode()
    assert "00-DB-12-34-56-78-90-A0" in dcc and "<svg" in dcc


def test_an_unpublished_finding_is_not_found_for_parties(cast):
    finding = cast.run([{"parts": [cast.hub]}]).findings.get()
    assert signed_in(cast.supplier).get(f"/tracker/findings/{finding.pk}/").status_code == 404
    assert signed_in(cast.dcc).get(f"/tracker/findings/{finding.pk}/").status_code == 200


def test_secas_proposes_and_a_second_administrator_publishes_from_the_pages(cast):
    run = cast.run([{"parts": [cast.hub]}])
    admin_a = signed_in(cast.admin_a)
    assert f"Run {run.pk}:" in admin_a.get("/tracker/editions/").content.decode()
    response = admin_a.post("/tracker/editions/propose/", {"run": run.pk})
    assert response.status_code == 302
    page = admin_a.get("/tracker/editions/1/").content.decode()
    assert "Hubline: waiting for delivery" in page and "has not been told yet" in page
    deliver_due()
    admin_a.post("/tracker/editions/1/approve/")
    assert TrackerEdition.objects.get().status == EditionStatus.PROPOSED  # not by the proposer
    signed_in(cast.admin_b).post("/tracker/editions/1/approve/")
    assert TrackerEdition.objects.get().status == EditionStatus.PUBLISHED
    assert (
        signed_in(cast.supplier).post("/tracker/editions/propose/", {"run": run.pk}).status_code
        == 404
    )


def test_a_told_manufacturer_responds_on_the_finding_page(cast, published):
    finding = published.findings.get(region="north")
    hubline = signed_in(cast.hubline)
    assert "Add response" in hubline.get(f"/tracker/findings/{finding.pk}/").content.decode()
    hubline.post(f"/tracker/findings/{finding.pk}/respond/", {"text": "Fixed in 1.4."})
    assert ManufacturerFindingResponse.objects.get().text == "Fixed in 1.4."
    shown = signed_in(cast.supplier).get(f"/tracker/findings/{finding.pk}/").content.decode()
    assert "Fixed in 1.4." in shown and "Add response" not in shown


def test_dcc_raises_a_draft_issue_from_the_finding_page(cast, published):
    finding = published.findings.get(region="north")
    dcc = signed_in(cast.dcc)
    assert "Raise a draft issue" in dcc.get(f"/tracker/findings/{finding.pk}/").content.decode()
    response = dcc.post(f"/tracker/findings/{finding.pk}/raise-issue/")
    issue = Issue.objects.get()
    assert response.status_code == 302 and response.url == f"/issues/{issue.human_id}/"
    assert issue.human_id in dcc.get(f"/tracker/findings/{finding.pk}/").content.decode()
    supplier = signed_in(cast.supplier)
    assert (
        "Raise a draft issue"
        not in supplier.get(f"/tracker/findings/{finding.pk}/").content.decode()
    )
    supplier.post(f"/tracker/findings/{finding.pk}/raise-issue/")
    assert Issue.objects.count() == 1
