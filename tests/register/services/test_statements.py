"""Statements: immutable, superseded not overwritten, challengeable by anyone who sees the issue."""

from __future__ import annotations

import pytest

from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import ImmutableRowError, Issue, IssueState, Statement, StatementKind
from kir.search.index import search_issue_ids


def _add(world, issue, persona="reporter_contributor", **fields):
    fields.setdefault("kind", StatementKind.OBSERVATION)
    fields.setdefault("text", "Alert 8F35 repeats every 20 seconds after reconnection.")
    return services.statement_add(issue=issue, actor=world.users[persona], **fields)


def test_it_adds_a_statement_by_the_actors_organisation(world):
    issue = world.draft()
    statement = _add(world, issue)
    assert statement.organisation == world.organisations["reporter"]
    assert statement.author == world.reporter
    assert AuditEvent.objects.filter(verb="statement.added", target_id=str(statement.pk)).exists()
    assert Issue.objects.filter(pk__in=search_issue_ids("reconnection")).exists()


def test_it_refuses_to_change_or_delete_a_saved_statement(world):
    statement = _add(world, world.draft())
    statement.text = "Rewritten history"
    with pytest.raises(ImmutableRowError):
        statement.save()
    with pytest.raises(ImmutableRowError):
        statement.delete()
    assert Statement.objects.get(pk=statement.pk).text.startswith("Alert 8F35")


def test_it_supersedes_and_keeps_the_history(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    first = _add(world, issue, "manufacturer_contributor", kind="root_cause", text="Timer reset.")
    second = _add(
        world,
        issue,
        "manufacturer_contributor",
        kind="root_cause",
        text="Timer reset, and a retry storm in the hub.",
        supersedes=first,
    )
    assert list(first.superseded_by.all()) == [second]
    assert Statement.objects.filter(issue=issue).count() == 2
    with pytest.raises(ValidationFailed) as refusal:
        _add(
            world, issue, "manufacturer_contributor", kind="root_cause", text="x", supersedes=first
        )
    assert "already superseded" in str(refusal.value)


def test_it_refuses_superseding_another_organisations_statement(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    theirs = _add(world, issue, "manufacturer_contributor", kind="root_cause", text="Timer.")
    with pytest.raises(ValidationFailed):
        _add(world, issue, kind="correction", text="Not the timer.", supersedes=theirs)
    correction = services.statement_add(
        issue=issue, actor=world.admin, kind="correction", text="Timer, per DCC.", supersedes=theirs
    )
    assert correction.supersedes == theirs


def test_it_links_a_challenge_from_any_party_that_sees_the_issue(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    root_cause = _add(world, issue, "manufacturer_contributor", kind="root_cause", text="Timer.")
    challenge = _add(
        world,
        issue,
        "other_supplier_contributor",
        kind="challenge",
        text="Our estate shows the storm with the timer fixed.",
        challenges=root_cause,
    )
    assert challenge.challenges == root_cause
    assert list(root_cause.challenged_by.all()) == [challenge]
    assert challenge.organisation == world.organisations["other_supplier"]


def test_it_refuses_challenges_from_parties_that_cannot_see_the_issue(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    statement = _add(world, issue)
    with pytest.raises(PermissionRefused):
        _add(world, issue, "other_supplier_contributor", kind="challenge", challenges=statement)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "challenge"}, "names the statement it challenges"),
        ({"kind": "correction"}, "names the statement it corrects"),
        ({"text": "   "}, "no text"),
        ({"kind": "rumour"}, "Expected one of"),
    ],
)
def test_it_refuses_malformed_statements(world, fields, message):
    with pytest.raises(ValidationFailed) as refusal:
        _add(world, world.draft(), **fields)
    assert message in str(refusal.value)


def test_it_refuses_a_challenge_link_on_other_kinds_and_across_issues(world):
    statement = _add(world, world.draft())
    with pytest.raises(ValidationFailed):
        _add(world, world.draft(), kind="observation", challenges=statement)
    with pytest.raises(ValidationFailed) as refusal:
        _add(world, world.draft(), kind="challenge", challenges=statement)
    assert "another issue" in str(refusal.value)


def test_it_reserves_manufacturer_responses_for_named_manufacturers(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    with pytest.raises(PermissionRefused):
        _add(world, issue, kind="manufacturer_response")
    assert _add(world, issue, "manufacturer_contributor", kind="manufacturer_response").pk


def test_it_refuses_viewers_and_frozen_issues(world):
    with pytest.raises(PermissionRefused):
        _add(world, world.draft(), "reporter_viewer")
    with pytest.raises(ValidationFailed):
        _add(world, world.issue_in(IssueState.CLOSED))


def test_it_checks_the_language_of_statements_on_a_published_issue(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    with pytest.raises(ValidationFailed) as refusal:
        _add(world, issue, text="The meter is non-compliant.")
    assert "non-compliant" in str(refusal.value)
    statement = services.statement_add(
        issue=issue,
        actor=world.admin,
        kind="observation",
        text="Ofgem's letter calls the meter non-compliant.",
        language_justification="Quoting the regulator's published letter.",
    )
    override = issue.language_overrides.get()
    assert override.field == f"statement:{statement.pk}"
