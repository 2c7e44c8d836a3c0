"""The API answers hostile and careless input with a 4xx naming what was wrong, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.register.models import Issue, IssueState
from kir.register.services import manufacturer_acknowledge
from tests.register.test_api import Api, draft_body
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def _error_locations(response) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]]


def test_it_refuses_a_nul_character_in_the_search_text(cast):
    response = Api(cast.other_supplier).get("/issues", {"q": "a\x00b"})
    assert response.status_code == 422
    assert _error_locations(response) == ["query.q"]
    assert "NUL" in response.json()["detail"][0]["msg"]


def test_it_refuses_a_nul_character_in_a_draft(cast):
    response = Api(cast.reporter).post("/issues", draft_body(cast, title="a\x00b"))
    assert response.status_code == 422
    assert _error_locations(response) == ["body.payload.title"]
    assert not Issue.objects.exists()


def test_it_bounds_the_page_number(cast):
    cast.published()
    api = Api(cast.other_supplier)
    huge = api.get("/issues", {"page": 9223372036854775807})
    assert huge.status_code == 422
    assert _error_locations(huge) == ["query.page"]
    # A page past the end is clamped to the last one, as before.
    last = api.get("/issues", {"page": 10_000})
    assert last.status_code == 200 and last.json()["page"] == 1


def test_it_accepts_the_last_day_of_the_calendar_as_a_date_bound(cast):
    issue = cast.published()
    api = Api(cast.other_supplier)
    for params in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01", "date_to": "9999-12-31"}):
        response = api.get("/issues", params)
        assert response.status_code == 200
        assert [i["human_id"] for i in response.json()["items"]] == [issue.human_id]
    assert api.get("/issues", {"date_from": "9999-12-31"}).json()["items"] == []


def test_the_web_list_and_csv_accept_the_last_day_of_the_calendar(cast):
    issue = cast.published()
    client = Client()
    client.force_login(cast.other_supplier)
    page = client.get("/issues/", {"date_to": "9999-12-31"})
    assert page.status_code == 200 and issue.human_id in page.content.decode()
    export = client.get("/issues/export.csv", {"date_to": "9999-12-31"})
    assert (
        export.status_code == 200 and issue.human_id in b"".join(export.streaming_content).decode()
    )


@pytest.mark.parametrize("value", [10**30, -1, 2**31])
def test_it_refuses_counts_beyond_the_columns_range(cast, value):
    body = draft_body(cast, installations_affected=value)
    response = Api(cast.reporter).post("/issues", body)
    assert response.status_code == 422
    assert _error_locations(response) == ["body.payload.installations_affected"]
    assert not Issue.objects.exists()


def test_it_accepts_the_largest_count(cast):
    body = draft_body(cast, installations_affected=2**31 - 1)
    assert Api(cast.reporter).post("/issues", body).status_code == 201


def test_it_answers_413_to_a_body_over_the_limit(cast, settings):
    body = draft_body(cast, description="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = Api(cast.reporter).post("/issues", body)
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert not Issue.objects.exists()


def test_publishing_needs_the_version_the_approver_read(cast):
    issue = cast.notified()
    manufacturer_acknowledge(issue=issue, actor=cast.manufacturer_user)
    issue = cast.step(issue, "propose_publication", cast.admin_a)
    api = Api(cast.admin_b)
    path = f"/issues/{issue.human_id}/transitions"
    blind = api.post(path, {"transition": "publish"})
    assert blind.status_code == 422
    assert "needs the version you read" in " ".join(blind.json()["reasons"])
    assert Issue.objects.get(pk=issue.pk).state == IssueState.MANUFACTURER_NOTIFIED
    stale = api.post(path, {"transition": "publish", "expected_version": issue.version - 1})
    assert stale.status_code == 409
    read = api.post(path, {"transition": "publish", "expected_version": issue.version})
    assert read.status_code == 200 and read.json()["state"] == "published"
