"""The demo publishes one tracker edition over its latest run, manufacturers told first."""

from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory, Role
from kir.outbox.models import JobState
from kir.tracker.demo_edition import seed_demo_edition
from kir.tracker.models import EditionStatus, TrackerEdition
from tests.factories import OrganisationFactory, UserFactory
from tests.tracker.cast import tracker_cast

pytestmark = pytest.mark.django_db


def test_it_publishes_one_edition_once():
    cast = tracker_cast()
    cast.run([{"parts": [cast.hub]}])
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    for name in ("secas-administrator", "secas-approver"):
        UserFactory(username=name, organisation=secas, role=Role.ADMINISTRATOR)
    summary = seed_demo_edition()
    edition = TrackerEdition.objects.get()
    assert edition.status == EditionStatus.PUBLISHED
    assert summary == "edition 1 published with 1 findings, 1 manufacturer notices sent first"
    assert all(n.job.state == JobState.DONE for n in edition.notices.all())
    assert edition.proposed_by != edition.approved_by
    assert seed_demo_edition() == "a tracker edition is already published"


def test_it_says_why_when_it_cannot():
    assert seed_demo_edition().startswith("no tracker edition")
