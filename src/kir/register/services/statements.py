"""Statements: immutable once submitted; superseded by newer ones; challenged by anyone who sees.

The seed paper's worry: statements of root cause and remediation "subsequently proven to be
incomplete, and possibly inaccurate, and ... subject to challenge". So nothing is overwritten: a
correction supersedes, a challenge links to what it challenges, and the whole history stays.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.messages import notify_statement
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import (
    InvolvementRole,
    InvolvementStatus,
    Issue,
    Statement,
    StatementKind,
)
from kir.register.permissions import (
    COORDINATOR_CATEGORIES,
    may_add_statement_of_kind,
    may_supersede,
)
from kir.register.root_cause import RootCauseStatement, Speaker, root_cause_status_after
from kir.register.selectors.visibility import is_named_manufacturer
from kir.register.services._common import (
    lock_issue,
    published_copy_changed,
    record_response,
    reindex,
    require_member,
    require_not_frozen,
    require_visible,
    set_involvement,
    write_issue,
)
from kir.register.services.language import (
    record_overrides_for,
    refuse_unneutral_public_text,
    statement_field,
)
from kir.register.workflow import PUBLIC_STATES

# Statements by which a named manufacturer answers its notice.
_RESPONSE_KINDS = frozenset(
    {
        StatementKind.ROOT_CAUSE,
        StatementKind.REMEDIATION,
        StatementKind.WORKAROUND,
        StatementKind.MANUFACTURER_RESPONSE,
    }
)


def _link_errors(
    issue: Issue,
    actor: User,
    kind: str,
    supersedes: Statement | None,
    challenges: Statement | None,
) -> list[str]:
    errors = []
    if kind == StatementKind.CHALLENGE and challenges is None:
        errors.append("A challenge names the statement it challenges.")
    if kind != StatementKind.CHALLENGE and challenges is not None:
        errors.append("Only a challenge statement may link to a statement it challenges.")
    if kind == StatementKind.CORRECTION and supersedes is None:
        errors.append("A correction names the statement it corrects (supersedes).")
    for linked in (supersedes, challenges):
        if linked is not None and linked.issue_id != issue.pk:
            errors.append(f"Statement #{linked.pk} belongs to another issue.")
    if supersedes is not None:
        if not may_supersede(actor, supersedes):
            errors.append("Only its own organisation (or a SECAS administrator) may supersede it.")
        newer = supersedes.superseded_by.first()
        if newer is not None:
            errors.append(f"Statement #{supersedes.pk} is already superseded by #{newer.pk}.")
    return errors


def _check_kind(issue: Issue, actor: User, kind: str) -> None:
    if kind not in StatementKind.values:
        raise ValidationFailed({"kind": [f"Expected one of {', '.join(StatementKind.values)}."]})
    if may_add_statement_of_kind(actor, issue, kind):
        return
    if kind == StatementKind.MANUFACTURER_RESPONSE:
        raise PermissionRefused(
            "Only an organisation speaking for a named manufacturer may add its response."
        )
    raise PermissionRefused(
        f"Only the named manufacturers, the reporter, DCC and SECAS may add a "
        f"{StatementKind(kind).label.lower()} statement; you may challenge one."
    )


def _refuse_bad_statement(
    issue: Issue,
    actor: User,
    kind: str,
    text: str,
    supersedes: Statement | None,
    challenges: Statement | None,
) -> Organisation:
    """The actor's organisation, which will author the statement, once every check passes."""
    organisation = require_member(actor, Permission.ADD_STATEMENT, "add statements")
    require_visible(actor, issue)
    require_not_frozen(issue)
    _check_kind(issue, actor, kind)
    errors = _link_errors(issue, actor, kind, supersedes, challenges)
    if not text.strip():
        errors.insert(0, "The statement has no text.")
    if errors:
        raise ValidationFailed({"statement": errors})
    return organisation


@transaction.atomic
def statement_add(
    *,
    issue: Issue,
    actor: User,
    kind: str,
    text: str,
    supersedes: Statement | None = None,
    challenges: Statement | None = None,
    language_justification: str = "",
) -> Statement:
    """Add a statement by the actor's organisation.

    On a published issue the statement is public at once, so it must pass the neutral-language
    check (or a SECAS administrator gives `language_justification`). Before publication, hits are
    allowed but block publication until reworded (by superseding) or overridden.
    """
    organisation = _refuse_bad_statement(issue, actor, kind, text, supersedes, challenges)
    public = issue.state in PUBLIC_STATES
    if public:
        refuse_unneutral_public_text(issue, actor, {"text": text}, language_justification)
    statement = Statement.objects.create(
        issue=issue,
        kind=kind,
        text=text.strip(),
        organisation=organisation,
        author=actor,
        supersedes=supersedes,
        challenges=challenges,
    )
    if public and language_justification.strip():
        field = statement_field(statement)
        record_overrides_for(issue, actor, {field: statement.text}, language_justification)
    _note_manufacturer_response(issue, actor, kind)
    data: dict[str, Any] = {
        "issue": issue.human_id,
        "kind": kind,
        "supersedes": statement.supersedes_id,
        "challenges": statement.challenges_id,
    }
    # The status change is recorded with the statement that causes it: the issue page's
    # root-cause history reads it from here (and from a dispute or an edit of the field).
    if moved := _follow_root_cause(issue, statement):
        data["root_cause_status"] = moved
    audit_record(actor=actor, verb=AuditEventType.STATEMENT_ADDED, target=statement, data=data)
    notify_statement(issue=issue, statement=statement)
    reindex(issue)
    published_copy_changed(issue)
    if public:
        webhook_events_enqueue(event="issue.updated", issue=issue, data={"statement": statement.pk})
    return statement


def _speaker(issue: Issue, organisation: Organisation) -> Speaker:
    if is_named_manufacturer(issue, organisation.pk):
        return Speaker.MANUFACTURER
    if organisation.category in COORDINATOR_CATEGORIES:
        return Speaker.OVERSIGHT
    if organisation.pk == issue.reporter_organisation_id:
        return Speaker.REPORTER
    return Speaker.OTHER


def _is_root_cause(statement: Statement | None) -> bool:
    """A root-cause statement, or a correction standing in for one."""
    while statement is not None and statement.kind == StatementKind.CORRECTION:
        statement = statement.supersedes
    return statement is not None and statement.kind == StatementKind.ROOT_CAUSE


def _follow_root_cause(issue: Issue, statement: Statement) -> list[str] | None:
    """Move the issue's root-cause status as kir.register.root_cause says; [before, after] when
    it moved. The issue row is locked first, so two statements at once apply one after the
    other."""
    current = lock_issue(issue).root_cause_status
    linked = statement.challenges if statement.kind == StatementKind.CHALLENGE else statement
    facts = RootCauseStatement(
        kind=statement.kind,
        speaker=_speaker(issue, statement.organisation),
        about_root_cause=_is_root_cause(linked),
    )
    after = root_cause_status_after(current, facts)
    if after == current:
        return None
    write_issue(issue, root_cause_status=after)
    return [current, after]


def _note_manufacturer_response(issue: Issue, actor: User, kind: str) -> None:
    organisation = actor.organisation
    if organisation is None or kind not in _RESPONSE_KINDS:
        return
    if not is_named_manufacturer(issue, organisation.pk):
        return
    if record_response(issue, organisation) is not None:
        involvement = issue.involvements.filter(
            organisation=organisation, role=InvolvementRole.MANUFACTURER
        ).first()
        if involvement is None or involvement.status != InvolvementStatus.DISPUTED:
            set_involvement(
                issue, organisation, InvolvementRole.MANUFACTURER, InvolvementStatus.IN_PROGRESS
            )
