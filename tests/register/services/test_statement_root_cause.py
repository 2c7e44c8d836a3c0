"""statement_add moves the root-cause status by the rule, in its transaction, audited."""

from __future__ import annotations

from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.models import Issue, IssueState, RootCauseStatus, StatementKind


def _add(world, issue, persona, kind, **links):
    return services.statement_add(
        issue=issue, actor=world.users[persona], kind=kind, text="Timer reset.", **links
    )


def _status(issue) -> str:
    return Issue.objects.get(pk=issue.pk).root_cause_status


def _moves(statement) -> list[str] | None:
    event = AuditEvent.objects.get(verb="statement.added", target_id=str(statement.pk))
    return event.data.get("root_cause_status")


def test_the_manufacturer_identifies_and_secas_confirms(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    version = Issue.objects.get(pk=issue.pk).version
    cause = _add(world, issue, "manufacturer_contributor", StatementKind.ROOT_CAUSE)
    assert _status(issue) == RootCauseStatus.IDENTIFIED
    assert _moves(cause) == ["unknown", "identified"]
    assert Issue.objects.get(pk=issue.pk).version == version + 1
    confirmation = _add(world, issue, "secas_coordinator", StatementKind.ROOT_CAUSE)
    assert _status(issue) == RootCauseStatus.CONFIRMED
    assert _moves(confirmation) == ["identified", "confirmed"]


def test_a_manufacturers_challenge_of_the_cause_disputes_it(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    cause = _add(world, issue, "reporter_contributor", StatementKind.ROOT_CAUSE)
    assert _status(issue) == RootCauseStatus.SUSPECTED
    challenge = _add(
        world, issue, "manufacturer_contributor", StatementKind.CHALLENGE, challenges=cause
    )
    assert _status(issue) == RootCauseStatus.DISPUTED
    assert Issue.objects.get(pk=issue.pk).is_disputed
    assert _moves(challenge) == ["suspected", "disputed"]


def test_a_correction_of_a_cause_counts_as_a_cause(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    cause = _add(world, issue, "manufacturer_contributor", StatementKind.ROOT_CAUSE)
    _add(world, issue, "secas_admin", StatementKind.ROOT_CAUSE)
    assert _status(issue) == RootCauseStatus.CONFIRMED
    _add(world, issue, "manufacturer_contributor", StatementKind.CORRECTION, supersedes=cause)
    assert _status(issue) == RootCauseStatus.IDENTIFIED


def test_other_statements_and_challengers_leave_it(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    cause = _add(world, issue, "manufacturer_contributor", StatementKind.ROOT_CAUSE)
    observation = _add(world, issue, "other_supplier_contributor", StatementKind.OBSERVATION)
    challenge = _add(
        world, issue, "other_supplier_contributor", StatementKind.CHALLENGE, challenges=cause
    )
    assert _status(issue) == RootCauseStatus.IDENTIFIED
    assert _moves(observation) is None and _moves(challenge) is None
