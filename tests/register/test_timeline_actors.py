"""The timeline names the person who took a step only to that person's organisation and to
SECAS and DCC; every other organisation sees the organisation (issue 16 row 18)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.register.test_api import Api
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def _api_actors(user, human_id: str) -> list[str]:
    body = Api(user).get(f"/issues/{human_id}").json()
    return [change["actor"] for change in body["timeline"]]


def _page(user, human_id: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/issues/{human_id}/").content.decode()


def test_other_organisations_see_the_organisation_not_the_person(cast):
    issue = cast.published()
    actors = _api_actors(cast.other_supplier, issue.human_id)
    # Created and submitted by the reporter; notified, proposed and approved by SECAS.
    assert actors == ["Northern Energy", "Northern Energy", "SECAS", "SECAS", "SECAS"]
    page = _page(cast.other_supplier, issue.human_id)
    assert "by SECAS" in page
    for username in ("admin-a", "admin-b", "reporter"):
        assert username not in page


def test_the_own_organisation_and_oversight_see_the_person(cast):
    issue = cast.published()
    assert _api_actors(cast.reporter, issue.human_id)[1:3] == [
        "reporter (Northern Energy)",
        "SECAS",
    ]
    assert _api_actors(cast.dcc, issue.human_id) == [
        "reporter (Northern Energy)",
        "reporter (Northern Energy)",
        "admin-a (SECAS)",
        "admin-a (SECAS)",
        "admin-b (SECAS)",
    ]
    assert "by admin-b (SECAS)" in _page(cast.admin_a, issue.human_id)
