"""The issue page's timeline: every audited event of the issue, as each role may see it;
statements numbered within their issue; the root-cause status's history."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kir.register.models import StatementKind
from kir.register.services import evidence_add, manufacturer_dispute, statement_add
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def _timeline(user, human_id: str) -> list[str]:
    """The timeline's entries as text, one a line."""
    client = Client()
    client.force_login(user)
    text = client.get(f"/issues/{human_id}/").content.decode()
    section = text.split('id="timeline-heading"')[1].split("</section>")[0]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def _page(user, human_id: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/issues/{human_id}/").content.decode()


def _has(entries: list[str], text: str) -> bool:
    return any(text in entry for entry in entries)


def test_the_acknowledgement_and_the_dispute_are_on_the_timeline_for_every_role(cast):
    issue = cast.published()
    manufacturer_dispute(issue=issue, actor=cast.manufacturer_user, rationale="Not our meters.")
    for user in (cast.other_supplier, cast.reporter, cast.dcc, cast.manufacturer_user):
        entries = _timeline(user, issue.human_id)
        assert _has(entries, "Notice acknowledged by"), user
        assert _has(entries, "Disputed by the manufacturer (statement #1) by"), user
        assert _has(entries, "Root-cause status: Unknown → Disputed"), user
        assert _has(entries, "Notice sent to Acme Metering"), user
        assert _has(entries, "Approve and publish (Manufacturer notified → Published)"), user
        assert entries[0].endswith(
            "Reported as a draft by "
            + (
                "reporter (Northern Energy)"
                if user in (cast.reporter, cast.dcc)
                else "Northern Energy"
            )
        ), (user, entries[0])


def _evidence(cast: UiCast, issue, *, installation_level: bool, name: str) -> None:
    evidence_add(
        issue=issue,
        actor=cast.reporter,
        file=SimpleUploadedFile(name, b"mpxn,alerts\n1,20\n", content_type="text/csv"),
        description=name,
        installation_level=installation_level,
    )


def test_installation_level_evidence_shows_only_to_those_who_may_see_it(cast):
    issue = cast.published()
    _evidence(cast, issue, installation_level=True, name="installations.csv")
    for user in (cast.reporter, cast.dcc, cast.admin_a):
        assert _has(_timeline(user, issue.human_id), "Evidence added"), user
        assert _has(_timeline(user, issue.human_id), "Installation-level: restricted"), user
    for user in (cast.other_supplier, cast.manufacturer_user):
        assert not _has(_timeline(user, issue.human_id), "Evidence added"), user
    _evidence(cast, issue, installation_level=False, name="summary.csv")
    entries = _timeline(cast.other_supplier, issue.human_id)
    assert [e for e in entries if "Evidence added" in e] != []
    assert not _has(entries, "Installation-level")


def test_statements_are_numbered_within_their_issue(cast):
    first_issue = cast.published()
    for _ in range(3):
        statement_add(
            issue=first_issue, actor=cast.reporter, kind=StatementKind.OBSERVATION, text="Seen."
        )
    issue = cast.published(title="Second issue about missing alerts")
    one = statement_add(issue=issue, actor=cast.reporter, kind="observation", text="Seen here.")
    statement_add(
        issue=issue, actor=cast.other_supplier, kind="challenge", text="Not here.", challenges=one
    )
    page = _page(cast.other_supplier, issue.human_id)
    assert f'id="statement-{one.pk}-heading">#1 Observation' in page
    assert "#2 Challenge by Southern Power" in page
    assert f'Challenges <a href="#statement-{one.pk}">statement #1</a>' in page
    entries = _timeline(cast.other_supplier, issue.human_id)
    added = "Challenge statement added (statement #2) by other (Southern Power)"
    assert _has(entries, added), "\n".join(entries)
    assert not re.search(r"#[3-9]", page.split('id="statements-heading"')[1])


def test_the_root_cause_status_history_shows_each_move(cast):
    issue = cast.published()
    statement_add(
        issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer resets."
    )
    statement_add(issue=issue, actor=cast.admin_a, kind="root_cause", text="Checked: a timer.")
    page = _page(cast.other_supplier, issue.human_id)
    history = page.split('id="root-cause-history-heading"')[1].split("</section>")[0]
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", history, flags=re.S)[1:]
    ]
    assert [row.split(" ", 4)[-1] for row in rows] == [
        "Unknown Identified Root cause statement added Acme Metering",
        "Identified Confirmed Root cause statement added SECAS",
    ]
    assert "<dt>Root-cause status</dt><dd>Confirmed" in page


def test_a_page_without_moves_has_no_history_section(cast):
    issue = cast.published()
    assert 'id="root-cause-history"' not in _page(cast.reporter, issue.human_id)
