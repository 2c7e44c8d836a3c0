"""Atom feeds: a per-user URL that answers what that user may see of the published register."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from kir.audit.models import AuditEvent
from kir.notify.feeds import feed_key_renew, feed_key_revoke, feed_token, feed_token_of
from kir.register.models import IssueState
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def world():
    return build_world()


def _entries(response) -> list[str]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]


def _feed(token: str, **filters: str):
    return Client().get(f"/feeds/{token}/issues.atom", filters)


def test_it_lists_published_issues_and_never_a_draft(world):
    published = world.issue_in(IssueState.PUBLISHED)
    draft = world.draft(title="Display pairing lost after an update")
    token = feed_token(feed_key_renew(user=world.reporter))  # the draft's own reporter
    titles = _entries(_feed(token))
    assert any(t.startswith(published.human_id) for t in titles)
    assert not any(t.startswith(draft.human_id) for t in titles)


def test_it_filters_by_manufacturer_and_region(world):
    published = world.issue_in(IssueState.PUBLISHED)  # Acme 1A2B, north
    token = feed_token(feed_key_renew(user=world.users["other_supplier_contributor"]))
    assert len(_entries(_feed(token, manufacturer="1A2B", region="north"))) == 1
    assert _entries(_feed(token, region="south")) == []
    assert published.human_id in _entries(_feed(token))[0]


def test_a_renewed_or_revoked_key_ends_the_old_url(world):
    user = world.users["other_supplier_contributor"]
    old = feed_token(feed_key_renew(user=user))
    new = feed_token(feed_key_renew(user=user))
    assert _feed(old).status_code == 404 and _feed(new).status_code == 200
    assert feed_key_revoke(user=user)
    assert _feed(new).status_code == 404 and feed_token_of(user) is None
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="notify.").values_list("verb", flat=True)
    )
    assert verbs == [
        "notify.feed_key_renewed",
        "notify.feed_key_renewed",
        "notify.feed_key_revoked",
    ]


def test_it_refuses_a_forged_token_and_an_inactive_user(world):
    user = world.users["other_supplier_contributor"]
    token = feed_token(feed_key_renew(user=user))
    feed_key_renew(user=world.admin)  # the admin has a key of the same generation...
    _, generation, signature = token.split(".")
    forged = f"{world.admin.pk}.{generation}.{signature}"
    assert _feed(forged).status_code == 404  # ...but this signature is the user's
    assert _feed(feed_token_of(world.admin)).status_code == 200
    assert _feed("not-a-token").status_code == 404
    user.is_active = False
    user.save()
    assert _feed(token).status_code == 404


def test_the_list_page_advertises_the_feed_of_its_filters(world):
    user = world.users["other_supplier_contributor"]
    client = Client()
    client.force_login(user)
    assert b'type="application/atom+xml"' not in client.get("/issues/").content
    token = feed_token(feed_key_renew(user=user))
    page = client.get("/issues/", {"region": "north"}).content.decode()
    assert f'href="/feeds/{token}/issues.atom?region=north"' in page
    shown = client.get("/notifications/feed/").content.decode()
    assert f"/feeds/{token}/issues.atom" in shown
