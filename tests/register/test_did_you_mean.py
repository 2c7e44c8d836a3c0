""" "Did you mean" and product search through the visibility rule, for every role of every kind
of organisation: a word (or model name) that only a hidden issue holds is never suggested, and a
product named only by a hidden issue is never found. Then the list page and the API, which show
the suggestion (the browser story is tests/browser/test_search_forgives.py)."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from kir.accounts.models import Role
from kir.accounts.services import token_create
from kir.register.models import IssueState
from kir.register.selectors import IssueFilters, did_you_mean, issue_search
from kir.search.index import index_issue
from tests.factories import AffectedProductFactory, DeviceModelFactory, DeviceVersionFactory
from tests.register.cast import AUDIENCE, ORGANISATIONS, Cast, build_cast

pytestmark = pytest.mark.django_db

# One made-up word per state, held only by that state's issue; the typo drops its fourth letter.
STATE_WORDS = {
    IssueState.DRAFT: "kestrelwing",
    IssueState.UNDER_ASSESSMENT: "marigoldfen",
    IssueState.MANUFACTURER_NOTIFIED: "thornbeacon",
    IssueState.PUBLISHED: "silverbrook",
    IssueState.RESOLVED: "amberfallow",
    IssueState.CLOSED: "cobaltmoor",
    IssueState.WITHDRAWN: "willowgate",
    IssueState.REJECTED: "ravenhollow",
}
CASES = list(itertools.product([key for key, _ in ORGANISATIONS], Role.values))


def typo(word: str) -> str:
    return word[:3] + word[4:]


@pytest.fixture
def cast() -> Cast:
    cast = build_cast()
    for state, word in STATE_WORDS.items():
        issue = cast.issue(state, title=f"Relay {word} after a power cut")
        if state == IssueState.DRAFT:
            # A model only this draft names, and the draft's own misspelling of a public word.
            hidden_model = DeviceModelFactory(model_id="00ABCDEF", name="Zircon Hub")
            AffectedProductFactory(
                issue=issue, device_version=DeviceVersionFactory(device_model=hidden_model)
            )
            issue.summary = "The batery drains."
            issue.save()
        index_issue(issue)
    control = cast.issue(IssueState.PUBLISHED, title="Battery drains on a display")
    index_issue(control)
    return cast


def test_it_suggests_exactly_the_words_each_role_may_see(cast):
    mismatches = []
    for key, role in CASES:
        user = cast.user(key, role)
        for state, word in STATE_WORDS.items():
            expected = word if key in AUDIENCE[state] else None
            actual = did_you_mean(user=user, query=typo(word))
            if actual != expected:
                mismatches.append(f"{key}/{role} {state}: {actual!r}, expected {expected!r}")
        sees_draft = key in AUDIENCE[IssueState.DRAFT]
        # The draft's "batery" is a known word to those who see the draft, and not to others.
        if did_you_mean(user=user, query="batery") != (None if sees_draft else "battery"):
            mismatches.append(f"{key}/{role}: the draft's misspelling decided the suggestion")
        if did_you_mean(user=user, query="Zircn hub") != ("zircon hub" if sees_draft else None):
            mismatches.append(f"{key}/{role}: the hidden model's name")
    assert mismatches == []


def test_it_finds_a_model_by_name_and_id_only_through_visibility(cast):
    mismatches = []
    for key, role in CASES:
        user = cast.user(key, role)
        sees_draft = key in AUDIENCE[IssueState.DRAFT]
        for query in ("Zircon Hub", "00ABCDEF", "0x00abcdef", "00AB-CDEF"):
            found = issue_search(user=user, query=query).total
            if found != (1 if sees_draft else 0):
                mismatches.append(f"{key}/{role} {query!r}: {found} found")
    assert mismatches == []


def test_it_finds_the_cast_model_and_manufacturer_by_name_and_gbcs_ids(cast):
    outsider = cast.user("other_party")
    public = len([s for s in STATE_WORDS if "other_party" in AUDIENCE[s]]) + 1
    for query in ("Acme Flex", "acme metering", "00012345", "0x1A2B", "1a2b"):
        assert issue_search(user=outsider, query=query).total == public, query


def test_it_suggests_nothing_to_someone_signed_out(cast):
    from django.contrib.auth.models import AnonymousUser

    assert did_you_mean(user=AnonymousUser(), query="silvrbrook") is None


def test_it_offers_no_suggestion_that_the_filters_would_empty(cast):
    user = cast.user("secas")
    assert did_you_mean(user=user, query="silvrbrook") == "silverbrook"
    filters = IssueFilters(state=IssueState.DRAFT)
    assert did_you_mean(user=user, query="silvrbrook", filters=filters) is None


def test_the_page_of_a_search_finding_nothing_carries_the_suggestion(cast):
    outsider = cast.user("other_party")
    page = issue_search(user=outsider, query="batery")
    assert (page.total, page.did_you_mean) == (0, "battery")
    assert issue_search(user=outsider, query="battery").did_you_mean is None


def test_the_list_page_links_the_corrected_search(cast):
    client = Client()
    client.force_login(cast.user("other_party"))
    response = client.get("/issues/", {"q": "batery", "region": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Did you mean" in html
    assert '?q=battery&amp;region=">battery</a>' in html or "q=battery" in html
    assert "kestrelwing" not in html
    corrected = client.get("/issues/", {"q": "battery"})
    assert "Battery drains on a display" in corrected.content.decode()
    assert "Did you mean" not in corrected.content.decode()


def test_the_list_page_suggests_no_hidden_word(cast):
    client = Client()
    client.force_login(cast.user("large_supplier", Role.ADMINISTRATOR))
    html = client.get("/issues/", {"q": typo("kestrelwing")}).content.decode()
    assert "Did you mean" not in html and "kestrelwing" not in html


def test_the_api_answers_did_you_mean(cast):
    def api_get(user, q):
        _, secret = token_create(user=user, name="tests", expires_in_days=1)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        response = client.get("/api/issues", {"q": q})
        assert response.status_code == 200, response.content
        return response.json()

    outsider, secas = cast.user("other_party"), cast.user("secas")
    assert api_get(outsider, "batery")["did_you_mean"] == "battery"
    assert api_get(outsider, "battery")["did_you_mean"] is None
    assert api_get(outsider, typo("kestrelwing"))["did_you_mean"] is None
    assert api_get(secas, typo("kestrelwing"))["did_you_mean"] == "kestrelwing"


def test_the_openapi_schema_documents_did_you_mean(client):
    schema = client.get("/api/openapi.json").json()
    page = schema["components"]["schemas"]["IssuePageOut"]["properties"]
    assert "did_you_mean" in page and "misspelt" in page["did_you_mean"]["description"]
