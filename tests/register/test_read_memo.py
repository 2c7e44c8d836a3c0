"""The per-request memo of named-manufacturer ids (kir.register.middleware): read once within
a GET, afresh everywhere else, and never carried from one request (or organisation) to another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kir.register.models import IssueState
from kir.register.selectors import named_manufacturer_issue_ids
from kir.register.selectors.visibility import named_manufacturer_ids_memo
from kir.register.services._common import write_issue
from tests.register.cast import Cast, build_cast

pytestmark = pytest.mark.django_db
NAMED_IDS_SQL = "WITH spoken_for AS"


@pytest.fixture
def cast() -> Cast:
    return build_cast()


def named_reads(queries: CaptureQueriesContext) -> int:
    return sum(NAMED_IDS_SQL in query["sql"] for query in queries.captured_queries)


def test_it_reads_once_per_organisation_inside_the_memo(cast):
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    named = cast.organisations["named_manufacturer"].pk
    other = cast.organisations["unrelated_manufacturer"].pk
    with CaptureQueriesContext(connection) as queries, named_manufacturer_ids_memo():
        assert named_manufacturer_issue_ids(named) == [issue.pk]
        assert named_manufacturer_issue_ids(named) == [issue.pk]
        assert named_manufacturer_issue_ids(other) == []
    assert named_reads(queries) == 2


def test_it_reads_afresh_outside_the_memo(cast):
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    named = cast.organisations["named_manufacturer"].pk
    with named_manufacturer_ids_memo():
        assert named_manufacturer_issue_ids(named) == [issue.pk]
    write_issue(issue, expected_version=issue.version, state=IssueState.PUBLISHED)
    assert named_manufacturer_issue_ids(named) == []
    with named_manufacturer_ids_memo():
        assert named_manufacturer_issue_ids(named) == []


def test_a_caller_changing_its_answer_does_not_change_the_memo(cast):
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED)
    named = cast.organisations["named_manufacturer"].pk
    with named_manufacturer_ids_memo():
        named_manufacturer_issue_ids(named).append(-1)
        assert named_manufacturer_issue_ids(named) == [issue.pk]


def test_an_issue_page_reads_the_named_ids_once_and_each_get_anew(cast):
    issue = cast.issue(IssueState.MANUFACTURER_NOTIFIED, title="Notified, naming Acme")
    client = Client()
    client.force_login(cast.users["named_manufacturer"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/issues/{issue.human_id}/").status_code == 200
    assert named_reads(queries) == 1
    # Still manufacturer-notified, but no longer naming Acme: only the named-ids rule showed it,
    # so the next request must not inherit the last one's answer.
    issue.products.all().delete()
    assert client.get(f"/issues/{issue.human_id}/").status_code == 404
