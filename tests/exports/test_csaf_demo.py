"""Every published demo issue's CSAF document passes BSI's validator (strict schema, every
mandatory test), and says what the register says: disputed, withdrawn, DMCs, fixes."""

from __future__ import annotations

import json

import pytest

from kir.exports.csaf import csaf_filename
from kir.exports.documents import csaf_bytes
from kir.register.models import Issue, IssueState
from kir.register.workflow import PUBLIC_STATES
from kir.web.demo.seed import seed_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, settings):
    settings.KIR_DEMO = True
    seed_demo()


def documents() -> dict[str, dict]:
    published = Issue.objects.filter(state__in=PUBLIC_STATES).order_by("human_id")
    return {issue.human_id: json.loads(csaf_bytes(issue)[1]) for issue in published}


def test_it_validates_every_published_demo_issue(demo, csaf_validator):
    found = documents()
    assert len(found) >= 4
    failures = {human_id: csaf_validator.failures(doc) for human_id, doc in found.items()}
    assert failures == {human_id: [] for human_id in found}


def test_it_marks_the_disputed_issue_and_keeps_it_listed(demo):
    issue = Issue.objects.get(root_cause_status="disputed")
    doc = json.loads(csaf_bytes(issue)[1])
    assert doc["document"]["title"].startswith("[DISPUTED] ")
    assert "Disputed" in [note["title"] for note in doc["document"]["notes"]]
    statuses = [i["status"] for i in doc["vulnerabilities"][0]["involvements"]]
    assert "disputed" in statuses
    assert "Withdrawn" not in [note["title"] for note in doc["document"]["notes"]]


def test_it_says_a_withdrawn_issue_was_withdrawn(demo):
    issue = Issue.objects.get(state=IssueState.WITHDRAWN)
    doc = json.loads(csaf_bytes(issue)[1])
    tracking = doc["document"]["tracking"]
    assert tracking["status"] == "final"
    assert tracking["revision_history"][-1]["summary"].startswith("Withdrawn")
    assert doc["document"]["title"].startswith("[WITHDRAWN] ")
    assert "Withdrawn" in [note["title"] for note in doc["document"]["notes"]]


def test_it_files_each_document_under_green_and_its_first_release_year(demo):
    for issue in Issue.objects.filter(state__in=PUBLIC_STATES):
        path, data = csaf_bytes(issue)
        tracking = json.loads(data)["document"]["tracking"]
        year = tracking["initial_release_date"][:4]
        assert path == f"green/{year}/{csaf_filename(issue.human_id)}"
        assert path.endswith(issue.human_id.lower() + ".json")
