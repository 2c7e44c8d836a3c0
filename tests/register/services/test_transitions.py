"""Every transition of the workflow table: allowed, refused by role, refused by state."""

from __future__ import annotations

import pytest

from kir.audit.models import AuditEvent
from kir.audit.services import audit_verify_chain
from kir.register import services
from kir.register.errors import (
    PermissionRefused,
    TransitionRefused,
    ValidationFailed,
    VersionConflict,
)
from kir.register.models import IssueState, StateChange
from kir.register.workflow import TRANSITIONS, user_can_take
from tests.factories import AffectedProductFactory, IssueFactory
from tests.register.services.conftest import PATH, PERSONAS

# Stated here independently of the table: which persona may take which step.
SECAS_ADMIN_ONLY = {"secas_admin"}
EXPECTED_ACTORS: dict[str, set[str]] = {
    "submit_for_assessment": {"reporter_contributor", "secas_coordinator", "secas_admin"},
    "reject": SECAS_ADMIN_ONLY,
    "notify_manufacturer": SECAS_ADMIN_ONLY,
    "return_to_assessment": SECAS_ADMIN_ONLY,
    "propose_publication": SECAS_ADMIN_ONLY,
    "cancel_publication_proposal": SECAS_ADMIN_ONLY,
    "publish": SECAS_ADMIN_ONLY,
    "resolve": {"secas_admin", "dcc_coordinator"},
    "close": SECAS_ADMIN_ONLY,
    "withdraw": SECAS_ADMIN_ONLY,
    "reopen": {"secas_admin", "dcc_coordinator"},
    "reconsider": SECAS_ADMIN_ONLY,
}
# (transition, source state, target state): every edge, stated independently of the table.
EDGES = [
    ("submit_for_assessment", "draft", "under_assessment"),
    ("reject", "draft", "rejected"),
    ("reject", "under_assessment", "rejected"),
    ("notify_manufacturer", "under_assessment", "manufacturer_notified"),
    ("return_to_assessment", "manufacturer_notified", "under_assessment"),
    ("propose_publication", "manufacturer_notified", "manufacturer_notified"),
    ("cancel_publication_proposal", "manufacturer_notified", "manufacturer_notified"),
    ("publish", "manufacturer_notified", "published"),
    ("resolve", "published", "resolved"),
    ("close", "resolved", "closed"),
    ("withdraw", "published", "withdrawn"),
    ("withdraw", "resolved", "withdrawn"),
    ("reopen", "resolved", "published"),
    ("reopen", "closed", "published"),
    ("reconsider", "rejected", "under_assessment"),
]


def test_it_states_the_same_edges_as_the_table():
    table = {(t.name, s, t.target) for t in TRANSITIONS for s in t.sources}
    assert table == set(EDGES)
    assert set(EXPECTED_ACTORS) == {t.name for t in TRANSITIONS}


def test_it_reaches_every_state_through_the_services(world):
    for state in IssueState.values:
        issue = world.issue_in(state)
        assert issue.state == state
    assert audit_verify_chain().ok


@pytest.mark.parametrize(("name", "source", "target"), EDGES)
def test_it_takes_every_allowed_edge(world, name, source, target):
    issue = world.issue_in(source)
    if name == "cancel_publication_proposal":
        world.take(issue, "propose_publication")
    before = AuditEvent.objects.count()
    issue = world.take(issue, name)
    assert issue.state == target
    change = StateChange.objects.filter(issue=issue).last()
    assert (change.transition, change.from_state, change.to_state) == (name, source, target)
    assert AuditEvent.objects.count() > before


def _refused_states(name):
    sources = {source for edge, source, _ in EDGES if edge == name}
    return [s for s in IssueState.values if s not in sources]


@pytest.mark.parametrize(
    ("name", "state"),
    [(t.name, state) for t in TRANSITIONS for state in _refused_states(t.name)],
)
def test_it_refuses_every_step_from_a_state_it_does_not_leave(world, name, state):
    issue = IssueFactory(state=state, reporter_organisation=world.organisations["reporter"])
    AffectedProductFactory(issue=issue, device_version=world.version)
    with pytest.raises(TransitionRefused) as refusal:
        services.issue_transition(issue=issue, actor=world.admin, transition=name, reason="x")
    assert "is not possible while the issue is" in refusal.value.reasons[0]
    issue.refresh_from_db()
    assert issue.state == state


@pytest.mark.parametrize(
    ("name", "persona"),
    [(t.name, persona) for t in TRANSITIONS for persona in PERSONAS],
)
def test_it_allows_exactly_the_expected_roles_and_organisations(world, name, persona):
    source = next(source for edge, source, _ in EDGES if edge == name)
    issue = IssueFactory(state=source, reporter_organisation=world.organisations["reporter"])
    AffectedProductFactory(issue=issue, device_version=world.version)
    user = world.users[persona]
    allowed = persona in EXPECTED_ACTORS[name]
    assert user_can_take(user=user, issue=issue, transition=name) is allowed
    if not allowed:
        with pytest.raises(PermissionRefused):
            services.issue_transition(issue=issue, actor=user, transition=name, reason="x")
        issue.refresh_from_db()
        assert issue.state == source


def test_it_requires_a_reason_where_the_table_says_so(world):
    issue = world.issue_in(IssueState.DRAFT)
    with pytest.raises(TransitionRefused) as refusal:
        services.issue_transition(issue=issue, actor=world.admin, transition="reject", reason=" ")
    assert refusal.value.reasons == ["Reject needs a reason."]


def test_it_refuses_submitting_a_draft_without_products(world):
    issue = world.draft(products=[])
    with pytest.raises(TransitionRefused) as refusal:
        world.take(issue, "submit_for_assessment")
    assert "Name at least one affected device version" in refusal.value.reasons[0]


def test_it_refuses_an_unknown_step(world):
    issue = world.draft()
    with pytest.raises(ValidationFailed):
        services.issue_transition(issue=issue, actor=world.admin, transition="teleport")


def test_it_keeps_the_path_table_in_step_with_the_states():
    assert set(PATH) == set(IssueState.values)


def test_it_refuses_a_step_taken_from_a_stale_version(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    stale = issue.version
    services.issue_update(
        issue=issue, actor=world.admin, expected_version=stale, summary="Rewritten by another"
    )
    with pytest.raises(VersionConflict) as conflict:
        services.issue_transition(
            issue=issue, actor=world.admin, transition="reject", reason="x", expected_version=stale
        )
    assert conflict.value.current.summary == "Rewritten by another"
    issue.refresh_from_db()
    assert issue.state == IssueState.UNDER_ASSESSMENT
    assert not StateChange.objects.filter(issue=issue, transition="reject").exists()
