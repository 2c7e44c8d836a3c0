"""Language overrides: only SECAS administrators, with a justification, for the exact text."""

from __future__ import annotations

import pytest

from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import Issue, IssueState, ProhibitedPhrase
from kir.register.services.language import unresolved_language


def _issue(world, **fields):
    return world.issue_in(
        IssueState.UNDER_ASSESSMENT, description="The hub is defective in the North.", **fields
    )


def test_it_lists_unresolved_hits_per_field(world):
    issue = _issue(world, summary="Caused by Acme Meters firmware.")
    findings = unresolved_language(issue)
    assert [(f.field_label, f.phrase) for f in findings] == [
        ("Summary", "Acme Meters Ltd as the cause"),
        ("Description", "defective"),
    ]


def test_it_records_an_override_with_its_justification(world):
    issue = _issue(world)
    override = services.language_override(
        issue=issue,
        actor=world.admin,
        field="description",
        phrase="defective",
        justification="The manufacturer's own bulletin uses the word.",
    )
    assert override.actor == world.admin
    assert unresolved_language(issue) == []
    event = AuditEvent.objects.get(verb="language.overridden")
    assert event.data["justification"] == "The manufacturer's own bulletin uses the word."


def test_it_needs_a_fresh_override_after_rewording(world):
    issue = _issue(world)
    services.language_override(
        issue=issue, actor=world.admin, field="description", phrase="defective", justification="Q"
    )
    issue = services.issue_update(
        issue=issue,
        actor=world.admin,
        expected_version=issue.version,
        description="The hub is defective in the North and South.",
    )
    assert [f.phrase for f in unresolved_language(issue)] == ["defective"]


@pytest.mark.parametrize("state", [IssueState.CLOSED, IssueState.WITHDRAWN, IssueState.REJECTED])
def test_it_refuses_overrides_on_a_frozen_issue_as_the_page_hides_them(world, state):
    issue = world.issue_in(state)
    # Published text passed the check; a word only a frozen issue carries is written directly.
    Issue.objects.filter(pk=issue.pk).update(description="The hub is defective in the North.")
    issue.refresh_from_db()
    with pytest.raises(ValidationFailed, match="reopen it first"):
        services.language_override(
            issue=issue,
            actor=world.admin,
            field="description",
            phrase="defective",
            justification="Q",
        )
    assert not AuditEvent.objects.filter(verb="language.overridden").exists()


@pytest.mark.parametrize(
    "persona", ["secas_coordinator", "dcc_coordinator", "reporter_contributor"]
)
def test_it_refuses_overrides_by_non_administrators(world, persona):
    issue = _issue(world)
    with pytest.raises(PermissionRefused):
        services.language_override(
            issue=issue,
            actor=world.users[persona],
            field="description",
            phrase="defective",
            justification="Because.",
        )


@pytest.mark.parametrize(
    ("field", "phrase", "justification", "error"),
    [
        ("description", "defective", "  ", "justification"),
        ("summary", "defective", "Because.", "phrase"),
        ("colour", "defective", "Because.", "field"),
    ],
)
def test_it_refuses_overrides_that_do_not_fit(world, field, phrase, justification, error):
    issue = _issue(world)
    with pytest.raises(ValidationFailed) as refusal:
        services.language_override(
            issue=issue, actor=world.admin, field=field, phrase=phrase, justification=justification
        )
    assert error in refusal.value.errors


def test_it_follows_the_phrase_list_as_administrators_edit_it(world):
    issue = _issue(world)
    ProhibitedPhrase.objects.filter(phrase="defective").update(active=False)
    assert unresolved_language(issue) == []
    ProhibitedPhrase.objects.create(phrase="in the North")
    assert [f.phrase for f in unresolved_language(issue)] == ["in the North"]
