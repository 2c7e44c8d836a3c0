"""The workflow table as data: consistent, complete, and readable by the UI."""

from __future__ import annotations

from collections import deque

from kir.accounts.models import Role
from kir.register.models import IssueState
from kir.register.workflow import (
    FROZEN_STATES,
    PUBLIC_STATES,
    TRANSITIONS,
    TRANSITIONS_BY_NAME,
    get_transition,
    transitions_for,
    user_can_edit,
)
from tests.factories import IssueFactory, OrganisationFactory, UserFactory


def test_it_names_each_transition_once_with_an_audit_verb():
    assert len(TRANSITIONS_BY_NAME) == len(TRANSITIONS)
    assert all(t.audit_verb.startswith("issue.") for t in TRANSITIONS)
    assert all(t.actors for t in TRANSITIONS)


def test_it_uses_only_real_states():
    for step in TRANSITIONS:
        assert step.target in IssueState.values
        assert step.sources <= set(IssueState.values)


def test_it_reaches_every_state_from_draft():
    seen, queue = {IssueState.DRAFT}, deque([IssueState.DRAFT])
    while queue:
        state = queue.popleft()
        for step in TRANSITIONS:
            if state in step.sources and step.target not in seen:
                seen.add(step.target)
                queue.append(step.target)
    assert seen == set(IssueState.values)


def test_it_demands_a_reason_for_rejecting_withdrawing_and_reopening():
    for name in ("reject", "withdraw", "reopen", "reconsider", "return_to_assessment"):
        assert TRANSITIONS_BY_NAME[name].needs_reason


def test_it_gates_publication_on_the_threshold_and_a_second_approver():
    publish = TRANSITIONS_BY_NAME["publish"]
    assert {"publication_threshold", "second_approver", "pending_proposal"} <= set(
        publish.preconditions
    )


def test_it_sends_a_notice_when_notifying_the_manufacturer():
    assert TRANSITIONS_BY_NAME["notify_manufacturer"].notices == ("manufacturer_notice",)


def test_it_keeps_withdrawn_issues_on_the_register_and_final():
    assert IssueState.WITHDRAWN in PUBLIC_STATES
    assert not any(IssueState.WITHDRAWN in t.sources for t in TRANSITIONS)
    assert IssueState.WITHDRAWN in FROZEN_STATES


def test_it_knows_no_unknown_step():
    assert get_transition("teleport") is None


def test_it_offers_a_reporter_only_submission_of_its_own_draft(db):
    reporter = OrganisationFactory(name="Reporter plc")
    contributor = UserFactory(organisation=reporter, role=Role.CONTRIBUTOR)
    outsider = UserFactory(role=Role.CONTRIBUTOR)
    issue = IssueFactory(reporter_organisation=reporter)
    assert [t.name for t in transitions_for(user=contributor, issue=issue)] == [
        "submit_for_assessment"
    ]
    assert transitions_for(user=outsider, issue=issue) == []


def test_it_lets_the_reporter_edit_only_while_a_draft(db):
    reporter = OrganisationFactory(name="Reporter plc")
    contributor = UserFactory(organisation=reporter, role=Role.CONTRIBUTOR)
    viewer = UserFactory(organisation=reporter, role=Role.VIEWER)
    issue = IssueFactory(reporter_organisation=reporter)
    assert user_can_edit(user=contributor, issue=issue)
    assert not user_can_edit(user=viewer, issue=issue)
    issue.state = IssueState.UNDER_ASSESSMENT
    assert not user_can_edit(user=contributor, issue=issue)
