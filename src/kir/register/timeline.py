"""An issue's timeline and its root-cause history, read from the audit log.

Every event the services record about the issue, its statements, its evidence and its notices,
as one viewer may see them: an event about a statement or a piece of evidence is shown only when
that statement or evidence is among what the selectors (selectors/visibility.py) give the viewer,
so an event about installation-level evidence does not exist for anyone who may not see the
evidence; who acted is shown as `actor_shown_to` says. Nothing here decides visibility itself.
Statements are named by their number within the issue (`statement_numbers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q

from kir.audit.events import AuditEventType as E
from kir.audit.models import AuditEvent
from kir.register.models import (
    Evidence,
    Issue,
    IssueState,
    ManufacturerNotice,
    RootCauseStatus,
    Statement,
    StatementKind,
)
from kir.register.selectors import actor_shown_to
from kir.register.workflow import get_transition

if TYPE_CHECKING:
    from kir.accounts.models import User


def statement_numbers(statement_ids: Iterable[int]) -> dict[int, int]:
    """Statement id -> its number within the issue: #1, #2, ... in the order they were saved.
    Statements are never deleted and every viewer of an issue sees all of them, so the numbers
    are stable and the same for everyone, on both databases (ids ascend with saving)."""
    return {pk: number for number, pk in enumerate(sorted(statement_ids), start=1)}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    actor: str
    detail: str = ""
    # The statement the event is about, to link to: (its id for the anchor, its number).
    statement: tuple[int, int] | None = None


@dataclass(frozen=True)
class RootCauseMove:
    at: datetime
    before: str
    after: str
    actor: str
    why: str


def _status_label(value: str) -> str:
    return RootCauseStatus(value).label if value in RootCauseStatus.values else value


def _state_label(value: str) -> str:
    return IssueState(value).label if value in IssueState.values else value


def _kind_label(value: str) -> str:
    return StatementKind(value).label if value in StatementKind.values else value


def _transition(data: dict[str, Any]) -> str:
    name = str(data.get("transition", ""))
    step = get_transition(name)
    label = step.label if step else name.replace("_", " ").capitalize()
    moved = data.get("from") != data.get("to")
    states = f" ({_state_label(data['from'])} → {_state_label(data['to'])})" if moved else ""
    return f"{label}{states}"


def _updated(data: dict[str, Any]) -> str:
    names = sorted(name.replace("_", " ") for name in data.get("changes", {}))
    return "Edited" + (f": {', '.join(names)}" if names else "")


# Verb -> how its event reads on the timeline, from the event's data.
_WHAT: dict[str, Callable[[dict[str, Any]], str]] = {
    E.ISSUE_CREATED: lambda d: "Reported as a draft",
    E.ISSUE_UPDATED: _updated,
    E.ISSUE_DISPUTED: lambda d: "Disputed by the manufacturer",
    E.ISSUE_COORDINATOR_ASSIGNED: lambda d: f"{d.get('organisation')} asked to coordinate",
    E.NOTICE_SENT: lambda d: f"Notice sent to {d.get('organisation')}",
    E.NOTICE_ACKNOWLEDGED: lambda d: "Notice acknowledged",
    E.EVIDENCE_ADDED: lambda d: "Evidence added",
    E.INVOLVEMENT_SET: lambda d: f"Involvement of {d.get('organisation')} updated",
    E.STATEMENT_ADDED: lambda d: f"{_kind_label(d.get('kind', ''))} statement added",
    E.LANGUAGE_OVERRIDDEN: lambda d: "Flagged wording accepted by SECAS",
}


def _what(event: AuditEvent) -> str:
    if event.verb in _WHAT:
        return _WHAT[event.verb](event.data)
    if "transition" in event.data:
        return _transition(event.data)
    return E(event.verb).label if event.verb in E.values else event.verb


def _detail(event: AuditEvent) -> str:
    data = event.data
    if event.verb == E.EVIDENCE_ADDED:
        return "Installation-level: restricted." if data.get("installation_level") else ""
    moved = _root_cause_moved(data)
    if moved is not None and event.verb != E.ISSUE_UPDATED:
        return f"Root-cause status: {moved[0]} → {moved[1]}."
    return str(data.get("reason") or "")


@dataclass(frozen=True)
class _Visible:
    """What of the issue the viewer may see, as the selectors gave it."""

    statements: dict[int, int]  # id -> number
    evidence: frozenset[int]


def _events(issue: Issue, statements: Iterable[int]) -> list[AuditEvent]:
    def about(model: type[Model], ids: Iterable[int]) -> Q:
        return Q(target_type=model._meta.label_lower, target_id__in=[str(pk) for pk in ids])

    evidence = Evidence.objects.filter(issue=issue).values_list("pk", flat=True)
    notices = ManufacturerNotice.objects.filter(issue=issue).values_list("pk", flat=True)
    query = (
        Q(target_type=Issue._meta.label_lower, target_id=str(issue.pk))
        | about(Statement, statements)
        | about(Evidence, evidence)
        | about(ManufacturerNotice, notices)
    )
    return list(AuditEvent.objects.filter(query).select_related("actor__organisation"))


def _shown(event: AuditEvent, visible: _Visible) -> bool:
    if event.target_type == Evidence._meta.label_lower:
        return int(event.target_id) in visible.evidence
    if event.target_type == Statement._meta.label_lower:
        return int(event.target_id) in visible.statements
    return True


def _statement_of(event: AuditEvent, visible: _Visible) -> tuple[int, int] | None:
    if event.target_type == Statement._meta.label_lower:
        pk = int(event.target_id)
    elif isinstance(event.data.get("statement"), int):
        pk = event.data["statement"]
    else:
        return None
    return (pk, visible.statements[pk]) if pk in visible.statements else None


@dataclass
class IssueHistory:
    timeline: list[TimelineEntry]
    root_cause: list[RootCauseMove]


def issue_history(
    *, user: User, issue: Issue, statements: Iterable[Statement], evidence: Iterable[Evidence]
) -> IssueHistory:
    """The timeline and root-cause history `user` may see; `statements` and `evidence` are what
    the selectors gave this user."""
    visible = _Visible(
        statements=statement_numbers(s.pk for s in statements),
        evidence=frozenset(e.pk for e in evidence),
    )
    timeline, moves = [], []
    for event in _events(issue, visible.statements):
        if not _shown(event, visible):
            continue
        actor = actor_shown_to(user, event.actor)
        entry = TimelineEntry(
            event.created_at, _what(event), actor, _detail(event), _statement_of(event, visible)
        )
        timeline.append(entry)
        moved = _root_cause_moved(event.data)
        if moved is not None:
            before, after = moved
            moves.append(RootCauseMove(event.created_at, before, after, actor, entry.what))
    return IssueHistory(timeline, moves)


def _root_cause_moved(data: dict[str, Any]) -> tuple[str, str] | None:
    """[before, after] of the root-cause status, where the event moved it: a statement or a
    dispute records it as `root_cause_status`, an edit among its `changes`."""
    changes = data.get("changes")
    moved = data.get("root_cause_status") or (
        changes.get("root_cause_status") if isinstance(changes, dict) else None
    )
    if isinstance(moved, list) and len(moved) == 2:
        return _status_label(str(moved[0])), _status_label(str(moved[1]))
    return None
