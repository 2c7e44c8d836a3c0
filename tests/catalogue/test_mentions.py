"""Catalogue model and DMC pages list the published issues and tracker findings naming them."""

from __future__ import annotations

import pytest

from kir.outbox.worker import deliver_due
from kir.register.models import IssueState
from kir.tracker import editions
from tests.clients import signed_in
from tests.factories import AffectedProductFactory, IssueFactory
from tests.tracker.cast import tracker_cast


@pytest.fixture
def cast(db):
    return tracker_cast()


@pytest.fixture
def named(cast):
    published = IssueFactory(title="Hub storms after restore", state=IssueState.PUBLISHED)
    AffectedProductFactory(issue=published, device_version=cast.hub)
    draft = IssueFactory(title="A draft about the hub", state=IssueState.DRAFT)
    AffectedProductFactory(issue=draft, device_version=cast.hub)
    run = cast.run([{"parts": [cast.hub], "dmcs": ["DMC-00000000A1B2"]}])
    finding = run.findings.get()
    finding.dmc_rows.update(dmc=cast.hub.dmcs.get())
    return published, draft, finding


def test_the_model_page_lists_published_issues_and_visible_findings(cast, named):
    published, draft, finding = named
    url = "/catalogue/models/00B1/0000B001/"
    dcc = signed_in(cast.dcc).get(url).content.decode()
    assert published.human_id in dcc and draft.human_id not in dcc
    assert f"/tracker/findings/{finding.pk}/" in dcc
    supplier = signed_in(cast.supplier).get(url).content.decode()
    assert published.human_id in supplier
    assert f"/tracker/findings/{finding.pk}/" not in supplier  # not in a published edition yet
    edition = editions.edition_propose(actor=cast.admin_a, run=finding.run)
    deliver_due()
    editions.edition_approve(actor=cast.admin_b, edition=edition)
    assert f"/tracker/findings/{finding.pk}/" in signed_in(cast.supplier).get(url).content.decode()


def test_the_dmc_page_lists_them_too(cast, named):
    published, _, finding = named
    text = signed_in(cast.dcc).get("/catalogue/dmcs/DMC-00000000A1B2/").content.decode()
    assert published.human_id in text and f"/tracker/findings/{finding.pk}/" in text
    meter_page = signed_in(cast.dcc).get("/catalogue/models/00A1/0000A001/").content.decode()
    assert f"/tracker/findings/{finding.pk}/" not in meter_page
