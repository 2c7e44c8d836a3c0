"""The register's JSON API: token and session auth, each endpoint's answers, OpenAPI."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils.dateparse import parse_datetime

from kir.accounts.services import token_create
from kir.register.models import Issue, IssueState, RootCauseStatus, Statement
from kir.register.services import manufacturer_dispute, statement_add
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


class Api:
    """A client speaking JSON with a user's personal token."""

    def __init__(self, user) -> None:
        _, secret = token_create(user=user, name="tests", expires_in_days=30)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/api{path}", params or {})

    def post(self, path: str, body: dict):
        return self.client.post(f"/api{path}", body, content_type="application/json")

    def patch(self, path: str, body: dict):
        return self.client.patch(f"/api{path}", body, content_type="application/json")


def draft_body(cast: UiCast, **overrides: object) -> dict:
    body: dict = {
        "title": "Alerts repeat after power restoration",
        "summary": "Alert 8F35 repeats every few seconds.",
        "category": "superfluous_alerts",
        "regions": ["north"],
        "evidence_level": "corroborated",
        "impact_level": "high",
        "products": [{"device_version_id": cast.version.pk, "status": "known_affected"}],
    }
    body.update(overrides)
    return body


def test_it_refuses_requests_without_credentials(cast):
    assert Client().get("/api/issues").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer kir_not-a-real-token")
    assert bad.get("/api/issues").status_code == 401


def test_it_accepts_a_token_and_a_session(cast):
    published = cast.published()
    by_token = Api(cast.other_supplier).get("/issues")
    session = Client()
    session.force_login(cast.other_supplier)
    by_session = session.get("/api/issues")
    assert by_token.status_code == by_session.status_code == 200
    assert [i["human_id"] for i in by_token.json()["items"]] == [published.human_id]
    assert by_token.json() == by_session.json()


def test_it_lists_searches_and_paginates_visible_issues(cast):
    valve = cast.published(title="Gas valve chatter", category="metrology")
    cast.published(title="Hub reboot loop", category="communications")
    cast.draft(title="Someone else's draft")
    api = Api(cast.other_supplier)
    everything = api.get("/issues", {"page_size": 1}).json()
    assert (everything["total"], everything["pages"], len(everything["items"])) == (2, 2, 1)
    assert everything["total_is_estimate"] is False
    found = api.get("/issues", {"q": "valve"}).json()
    assert [i["human_id"] for i in found["items"]] == [valve.human_id]
    filtered = api.get("/issues", {"category": "communications", "region": "north"}).json()
    assert [i["title"] for i in filtered["items"]] == ["Hub reboot loop"]
    assert api.get("/issues", {"state": "draft"}).json()["total"] == 0
    assert api.get("/issues", {"state": "nonsense"}).status_code == 422


def test_it_shows_an_issue_with_its_dispute_statements_and_timeline(cast):
    issue = cast.published()
    manufacturer_dispute(issue=issue, actor=cast.manufacturer_user, rationale="Not our device.")
    body = Api(cast.other_supplier).get(f"/issues/{issue.human_id}").json()
    assert body["disputed"] is True and body["root_cause_status"] == "disputed"
    assert body["state"] == "published" and body["withdrawn"] is False
    assert [s["kind"] for s in body["statements"]] == ["manufacturer_response"]
    assert [c["transition"] for c in body["timeline"]][-1] == "publish"
    assert body["products"][0]["manufacturer_id"] == "1A2B"
    assert body["notices"][0]["organisation"] == "Acme Metering"
    assert body["transitions"] == []
    admin_view = Api(cast.admin_a).get(f"/issues/{issue.human_id}").json()
    assert admin_view["transitions"] == ["resolve", "withdraw"]


def test_it_answers_404_for_hidden_and_absent_issues(cast):
    draft = cast.draft()
    api = Api(cast.other_supplier)
    assert api.get(f"/issues/{draft.human_id}").status_code == 404
    assert api.get("/issues/KIR-2026-9999").status_code == 404
    transition = {"transition": "submit_for_assessment"}
    assert api.post(f"/issues/{draft.human_id}/transitions", transition).status_code == 404
    statement = {"kind": "observation", "text": "x"}
    assert api.post(f"/issues/{draft.human_id}/statements", statement).status_code == 404
    assert api.patch(f"/issues/{draft.human_id}", {"expected_version": 1}).status_code == 404


def test_it_creates_a_draft(cast):
    response = Api(cast.reporter).post("/issues", draft_body(cast))
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "draft" and body["version"] == 1
    assert Issue.objects.get(human_id=body["human_id"]).products.count() == 1


def test_it_rejects_invalid_drafts_with_field_errors(cast):
    api = Api(cast.reporter)
    assert api.post("/issues", draft_body(cast, category="weather")).status_code == 422
    missing = api.post("/issues", draft_body(cast, products=[{"dmc": "DMC-000000000000"}]))
    assert missing.status_code == 422
    assert missing.json()["errors"]["products"] == ["DMC DMC-000000000000 is not in the catalogue."]
    both = api.post("/issues", draft_body(cast, products=[{"device_version_id": 999999}]))
    assert both.status_code == 422 and "products" in both.json()["errors"]
    assert not Issue.objects.exists()


def test_it_answers_403_when_the_role_may_not_act(cast):
    assert Api(cast.reporter_viewer).post("/issues", draft_body(cast)).status_code == 403
    issue = cast.published()
    response = Api(cast.other_supplier).post(
        f"/issues/{issue.human_id}/transitions", {"transition": "withdraw", "reason": "x"}
    )
    assert response.status_code == 403


def test_it_takes_steps_and_lists_every_unmet_condition(cast):
    issue = cast.notified(evidence_level="reported", impact_level="low")
    api = Api(cast.admin_a)
    refused = api.post(
        f"/issues/{issue.human_id}/transitions", {"transition": "propose_publication"}
    )
    assert refused.status_code == 422
    reasons = refused.json()["reasons"]
    assert len(reasons) >= 3
    assert any("evidence" in r.lower() for r in reasons)
    assert any("impact" in r.lower() for r in reasons)
    reject = api.post(
        f"/issues/{issue.human_id}/transitions",
        {"transition": "return_to_assessment", "reason": "Needs more data"},
    )
    assert reject.status_code == 200 and reject.json()["state"] == "under_assessment"


def test_it_answers_409_with_the_current_version(cast):
    issue = cast.draft()
    api = Api(cast.reporter)
    first = api.patch(f"/issues/{issue.human_id}", {"expected_version": 1, "title": "First"})
    assert first.status_code == 200 and first.json()["version"] == 2
    second = api.patch(f"/issues/{issue.human_id}", {"expected_version": 1, "title": "Second"})
    assert second.status_code == 409
    assert second.json()["current_version"] == 2
    step = api.post(
        f"/issues/{issue.human_id}/transitions",
        {"transition": "submit_for_assessment", "expected_version": 1},
    )
    assert step.status_code == 409
    issue.refresh_from_db()
    assert (issue.title, issue.state) == ("First", IssueState.DRAFT)


def test_it_adds_statements_with_challenge_links(cast):
    issue = cast.published()
    root_cause = statement_add(
        issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer resets."
    )
    api = Api(cast.other_supplier)
    response = api.post(
        f"/issues/{issue.human_id}/statements",
        {"kind": "challenge", "text": "Also seen after the fix.", "challenges": root_cause.pk},
    )
    assert response.status_code == 201
    assert response.json()["challenges"] == root_cause.pk
    detail = api.get(f"/issues/{issue.human_id}").json()
    first = next(s for s in detail["statements"] if s["id"] == root_cause.pk)
    assert first["challenged_by"] == [response.json()["id"]]
    unlinked = api.post(f"/issues/{issue.human_id}/statements", {"kind": "challenge", "text": "?"})
    assert unlinked.status_code == 422
    foreign = api.post(
        f"/issues/{issue.human_id}/statements",
        {"kind": "challenge", "text": "?", "challenges": 987654},
    )
    assert foreign.status_code == 422 and "challenges" in foreign.json()["errors"]
    assert Statement.objects.count() == 2


def test_it_takes_the_manufacturers_response(cast):
    issue = cast.notified()
    api = Api(cast.manufacturer_user)
    acknowledged = api.post(f"/issues/{issue.human_id}/response", {"response": "acknowledge"})
    assert acknowledged.status_code == 200
    assert acknowledged.json()["notices"][0]["acknowledged_at"] is not None
    disputed = api.post(
        f"/issues/{issue.human_id}/response", {"response": "dispute", "rationale": "Not ours."}
    )
    assert disputed.json()["disputed"] is True
    issue.refresh_from_db()
    assert issue.root_cause_status == RootCauseStatus.DISPUTED
    outsider = Api(cast.reporter).post(
        f"/issues/{issue.human_id}/response", {"response": "acknowledge"}
    )
    assert outsider.status_code == 403


def test_it_runs_the_procurement_check(cast):
    issue = cast.published()
    api = Api(cast.other_supplier)
    response = api.post(
        "/procurement-check", {"items": ["1A2B 00012345 fw 01020304", "1033/00054321"]}
    )
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["item"] == "1A2B/00012345/01020304" and first["in_catalogue"] is True
    assert (first["total"], first["offset"], first["more"]) == (1, 0, 0)
    assert [m["human_id"] for m in first["matches"]] == [issue.human_id]
    assert first["matches"][0]["products"] == [
        {"product": "1A2B/00012345/01020304", "status": "known_affected"}
    ]
    # An instant with its offset, on both engines (SQLite stores it naive, in UTC); the JSON
    # keeps milliseconds.
    published_at = parse_datetime(first["matches"][0]["published_at"])
    assert published_at is not None and published_at.tzinfo is not None, published_at
    assert abs(published_at - issue.published_at) < dt.timedelta(milliseconds=1)
    assert second["matches"] == []
    # Refused by the item pattern the OpenAPI states (kir.register.api_input), naming the item.
    bad = api.post("/procurement-check", {"items": ["not an identifier"]})
    assert bad.status_code == 422
    assert [error["loc"] for error in bad.json()["detail"]] == [["body", "payload", "items", 0]]


def test_it_pages_the_procurement_check_per_item(cast):
    older, newer = cast.published(), cast.published()
    api = Api(cast.other_supplier)
    line = "1A2B 00012345 fw 01020304"

    first = api.post("/procurement-check", {"items": [line], "limit": 1}).json()["results"][0]
    second = api.post("/procurement-check", {"items": [line], "limit": 1, "offset": 1})

    assert (first["total"], first["more"]) == (2, 1)
    assert [m["human_id"] for m in first["matches"]] == [newer.human_id]
    (result,) = second.json()["results"]
    assert [m["human_id"] for m in result["matches"]] == [older.human_id]
    assert (result["offset"], result["more"]) == (1, 0)
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        assert api.post("/procurement-check", {"items": [line], **bad}).status_code == 422


def test_it_bounds_the_list_count_and_says_so(cast, monkeypatch):
    monkeypatch.setattr("kir.register.api.API_COUNT_CAP", 2)
    issues = [cast.published(title=f"Issue {n}") for n in range(4)]
    api = Api(cast.other_supplier)
    first = api.get("/issues", {"page_size": 1}).json()
    assert (first["total"], first["total_is_estimate"], first["pages"]) == (2, True, 2)
    # The count reaches past the requested page, so every page that exists is served...
    third = api.get("/issues", {"page_size": 1, "page": 3}).json()
    assert (third["total"], third["total_is_estimate"], third["page"]) == (3, True, 3)
    last = api.get("/issues", {"page_size": 1, "page": 4}).json()
    assert (last["total"], last["total_is_estimate"], last["pages"]) == (4, False, 4)
    listed = [api.get("/issues", {"page_size": 1, "page": n}).json()["items"] for n in (1, 2, 3, 4)]
    assert sorted(i[0]["human_id"] for i in listed) == sorted(i.human_id for i in issues)
    # ...and a page beyond the end is still clamped to the last one once the count is exact.
    beyond = api.get("/issues", {"page_size": 1, "page": 9}).json()
    assert (beyond["total"], beyond["total_is_estimate"], beyond["page"]) == (4, False, 4)
    assert [i["human_id"] for i in beyond["items"]] == [listed[3][0]["human_id"]]


def test_it_publishes_the_openapi_description(cast):
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/me",
        "/api/issues",
        "/api/issues/{human_id}",
        "/api/issues/{human_id}/transitions",
        "/api/issues/{human_id}/statements",
        "/api/procurement-check",
    ):
        assert path in paths, path
    assert set(paths["/api/issues"]) == {"get", "post"}
    page = schema["components"]["schemas"]["IssuePageOut"]
    assert {"total", "total_is_estimate", "pages"} <= set(page["required"])
    assert "409" in paths["/api/issues/{human_id}/transitions"]["post"]["responses"]
