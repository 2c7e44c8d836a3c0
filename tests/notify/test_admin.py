"""Bulletins in the admin: read-only, with their recipients, for SECAS administrators only."""

from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory, Role
from kir.notify.models import Bulletin, BulletinRecipient
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff(username: str, category: str, role: str):
    organisation = OrganisationFactory(name=username, category=category)
    return UserFactory(username=username, organisation=organisation, role=role, is_staff=True)


@pytest.fixture
def bulletin():
    author = _staff("secas-admin", PartyCategory.SECAS, Role.ADMINISTRATOR)
    bulletin = Bulletin.objects.create(subject="Ask your suppliers", body="Text", created_by=author)
    reader = UserFactory(username="reader")
    BulletinRecipient.objects.create(bulletin=bulletin, user=reader, email="reader@example.org")
    return bulletin


def test_it_shows_a_bulletin_and_its_recipients_read_only(client, bulletin):
    client.force_login(bulletin.created_by)
    page = client.get(f"/admin/notify/bulletin/{bulletin.pk}/change/")
    assert page.status_code == 200
    assert b"reader@example.org" in page.content and b'name="_save"' not in page.content
    assert client.get("/admin/notify/bulletin/add/").status_code == 403


def test_it_shows_no_bulletins_to_other_staff(client, bulletin):
    client.force_login(_staff("dcc-admin", PartyCategory.DCC, Role.ADMINISTRATOR))
    assert client.get(f"/admin/notify/bulletin/{bulletin.pk}/change/").status_code == 403
