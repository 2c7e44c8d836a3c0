"""What the issue page and the API's issue detail show, gathered once for both.

Everything here is read through the selectors, so the UI and the API show the same things to the
same user; nothing in this module decides visibility itself, nor who may act (that is
kir.register.permissions, which the services enforce).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kir.catalogue.models import Region
from kir.register.models import (
    AffectedProduct,
    Evidence,
    Involvement,
    Issue,
    IssueState,
    ManufacturerNotice,
    Publication,
    StateChange,
    Statement,
    StatementKind,
    ThresholdPolicy,
)
from kir.register.permissions import (
    may_add_statement_of_kind,
    may_override_language_on,
)
from kir.register.selectors import (
    actor_shown_to,
    evidence_visible_to,
    issue_get_visible,
    statements_visible_to,
)
from kir.register.services import pending_proposal, policy_in_force, publication_blockers
from kir.register.services.language import publishable_texts, unresolved_language
from kir.register.services.transitions import precondition_failures
from kir.register.timeline import IssueHistory, issue_history, statement_numbers
from kir.register.workflow import SEQUENCE_PRECONDITIONS, Transition, steps_from, transitions_for

if TYPE_CHECKING:
    from kir.accounts.models import User


@dataclass(frozen=True)
class StatementRef:
    """A statement as another one links to it: its id (the page anchor) and its number."""

    pk: int
    number: int
    organisation: str


@dataclass(frozen=True)
class StatementEntry:
    """A statement with its number within the issue, what it supersedes or challenges, and the
    later statements that supersede or challenge it."""

    statement: Statement
    number: int
    supersedes: StatementRef | None
    challenges: StatementRef | None
    superseded_by: list[StatementRef]
    challenged_by: list[StatementRef]


@dataclass
class IssueDetail:
    issue: Issue
    products: list[AffectedProduct]
    statements: list[Statement]
    # Statement id -> ids of the later statements that supersede / challenge it.
    superseded_by: dict[int, list[int]] = field(default_factory=dict)
    challenged_by: dict[int, list[int]] = field(default_factory=dict)
    timeline: list[StateChange] = field(default_factory=list)
    # StateChange id -> who took the step, as the viewer may see it (selectors.actor_shown_to).
    timeline_actors: dict[int, str] = field(default_factory=dict)
    involvements: list[Involvement] = field(default_factory=list)
    notices: list[ManufacturerNotice] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def timeline_rows(self) -> list[tuple[StateChange, str]]:
        return [(change, self.timeline_actors[change.pk]) for change in self.timeline]

    @property
    def region_labels(self) -> list[str]:
        return [Region(value).label for value in self.issue.regions if value in Region.values]

    @functools.cached_property
    def statement_numbers(self) -> dict[int, int]:
        return statement_numbers(s.pk for s in self.statements)

    @functools.cached_property
    def _statements_by_id(self) -> dict[int, Statement]:
        return {statement.pk: statement for statement in self.statements}

    def _ref(self, pk: int | None) -> StatementRef | None:
        statement = self._statements_by_id.get(pk) if pk is not None else None
        if statement is None:
            return None
        return StatementRef(
            statement.pk, self.statement_numbers[statement.pk], str(statement.organisation)
        )

    @property
    def statement_entries(self) -> list[StatementEntry]:
        def refs(pks: list[int]) -> list[StatementRef]:
            return [ref for ref in map(self._ref, pks) if ref is not None]

        return [
            StatementEntry(
                statement,
                self.statement_numbers[statement.pk],
                self._ref(statement.supersedes_id),
                self._ref(statement.challenges_id),
                refs(self.superseded_by.get(statement.pk, [])),
                refs(self.challenged_by.get(statement.pk, [])),
            )
            for statement in self.statements
        ]

    def history(self, user: User) -> IssueHistory:
        """The timeline from the audit log and the root-cause history, as `user` may see them."""
        return issue_history(
            user=user, issue=self.issue, statements=self.statements, evidence=self.evidence
        )

    def last_change_to(self, state: str) -> StateChange | None:
        changes = [c for c in self.timeline if c.to_state == state]
        return changes[-1] if changes else None


def issue_detail_for(*, user: User, human_id: str) -> IssueDetail:
    """The issue and everything about it that `user` may see (Http404 when hidden)."""
    issue = issue_get_visible(user=user, human_id=human_id)
    statements = list(statements_visible_to(user=user, issue=issue))
    superseded_by: dict[int, list[int]] = defaultdict(list)
    challenged_by: dict[int, list[int]] = defaultdict(list)
    for statement in statements:
        if statement.supersedes_id:
            superseded_by[statement.supersedes_id].append(statement.pk)
        if statement.challenges_id:
            challenged_by[statement.challenges_id].append(statement.pk)
    timeline = list(issue.state_changes.select_related("actor__organisation"))
    return IssueDetail(
        issue=issue,
        products=list(issue.products.all()),
        statements=statements,
        superseded_by=dict(superseded_by),
        challenged_by=dict(challenged_by),
        timeline=timeline,
        timeline_actors={c.pk: actor_shown_to(user, c.actor) for c in timeline},
        involvements=list(issue.involvements.select_related("organisation")),
        notices=list(issue.notices.select_related("organisation")),
        evidence=list(evidence_visible_to(user=user, issue=issue)),
    )


@dataclass(frozen=True)
class StepNotOffered:
    """A step from the issue's state that this user cannot take now, and why."""

    label: str
    why: list[str]


@dataclass(frozen=True)
class IssueSteps:
    # What the user may take now: the role and organisation allow it, the process stands where
    # it belongs, and nothing it needs is missing.
    offered: list[Transition]
    # The other steps from here, each with what is missing or who may take it; steps the
    # process has not reached (nothing to cancel before a proposal) are left out.
    not_offered: list[StepNotOffered]


def issue_steps(*, user: User, issue: Issue) -> IssueSteps:
    """The issue's workflow steps as this user meets them. Each precondition is checked once,
    however many steps name it; for steps the role does not allow, only where the process
    stands is asked."""
    mine = {step.name for step in transitions_for(user=user, issue=issue)}
    failures = functools.cache(lambda name: precondition_failures(name, issue, user))
    offered, not_offered = [], []
    for step in steps_from(issue):
        if any(failures(n) for n in step.preconditions if n in SEQUENCE_PRECONDITIONS):
            continue
        if step.name not in mine:
            not_offered.append(StepNotOffered(step.label, [f"Needs {step.who_may()}."]))
        elif blockers := [m for name in step.preconditions for m in failures(name)]:
            not_offered.append(StepNotOffered(step.label, blockers))
        else:
            offered.append(step)
    return IssueSteps(offered, not_offered)


def available_transitions(*, user: User, issue: Issue) -> list[Transition]:
    return issue_steps(user=user, issue=issue).offered


def statement_kinds_for(*, user: User, issue: Issue) -> list[tuple[str, str]]:
    """Kinds the user may add (register/permissions.py decides)."""
    return [
        (value, label)
        for value, label in StatementKind.choices
        if may_add_statement_of_kind(user, issue, value)
    ]


def notice_marker(issue: Issue) -> dict[str, Any]:
    """The markers shown wherever an issue appears (page, list, CSV, API)."""
    return {
        "disputed": issue.is_disputed,
        "withdrawn": issue.state == IssueState.WITHDRAWN,
        "rejected": issue.state == IssueState.REJECTED,
    }


@dataclass
class PublicationStatus:
    proposal: Publication | None
    blockers: list[str]
    policy: ThresholdPolicy


def publication_status_for(*, user: User, issue: Issue) -> PublicationStatus | None:
    """For administrators whose role may propose or approve: the pending proposal and everything
    that still blocks publication under the policy in force. Nobody else gets it."""
    if issue.state != IssueState.MANUFACTURER_NOTIFIED:
        return None
    names = {t.name for t in transitions_for(user=user, issue=issue)}
    if not names & {"propose_publication", "publish"}:
        return None
    return PublicationStatus(
        proposal=pending_proposal(issue),
        blockers=publication_blockers(issue),
        policy=policy_in_force(),
    )


@dataclass(frozen=True)
class LanguageHit:
    """An unresolved neutral-language hit, with the field name the override service expects."""

    field: str
    label: str
    phrase: str
    matched: str

    @property
    def key(self) -> str:
        return f"{self.field}|{self.phrase}"


def language_hits_for(*, user: User, issue: Issue) -> list[LanguageHit]:
    """Unresolved hits in the texts the published issue shows; only for those who may override."""
    if not may_override_language_on(user, issue):
        return []
    fields = {label: name for name, (label, _) in publishable_texts(issue).items()}
    return [
        LanguageHit(fields[f.field_label], f.field_label, f.phrase, f.matched)
        for f in unresolved_language(issue)
        if f.field_label in fields
    ]
