"""The register's workflow as data: states, transitions, who may take them. No I/O here.

draft -> under_assessment -> manufacturer_notified -> published -> resolved -> closed
  reject                 (draft, under_assessment -> rejected, reason required)
  return_to_assessment   (manufacturer_notified -> under_assessment, reason required), so an
                         issue that turns out wrong after notice can still be rejected
  propose_publication / cancel_publication_proposal
                         (manufacturer_notified, no state change: record or cancel the proposal
                         that a *different* administrator must approve with `publish`)
  withdraw               (published, resolved -> withdrawn, reason required). Withdrawn is final:
                         the notice stays listed as withdrawn, as OSV and CVE keep theirs; a
                         corrected issue is a new draft.
  reopen                 (resolved, closed -> published, reason required). A recurring problem
                         stays on the register rather than vanishing back into assessment; it
                         already passed the gate, and taking it off the register is `withdraw`.
  reconsider             (rejected -> under_assessment, reason required): new evidence arrived.

Who may take a transition is a list of `ActorRule`s: a permission from kir.accounts.permissions
held by role, plus either a set of organisation categories or "member of the reporting
organisation". Preconditions are names of checks that kir.register.services.transitions
evaluates (they need the database); every unmet one is reported, not just the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kir.accounts.models import PartyCategory, Role
from kir.accounts.permissions import ROLE_PERMISSIONS, Permission, user_has_permission
from kir.audit.events import AuditEventType
from kir.register.models import IssueState

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User
    from kir.register.models import Issue

SECAS = frozenset({PartyCategory.SECAS})
DCC = frozenset({PartyCategory.DCC})

# States in which an issue is (or was) on the public register.
PUBLIC_STATES = frozenset(
    {IssueState.PUBLISHED, IssueState.RESOLVED, IssueState.CLOSED, IssueState.WITHDRAWN}
)
# States in which nothing about the issue changes any more, except by a transition.
FROZEN_STATES = frozenset({IssueState.CLOSED, IssueState.WITHDRAWN, IssueState.REJECTED})


@dataclass(frozen=True)
class ActorRule:
    """One way to be allowed: hold `permission` and either belong to one of `categories` or,
    when `reporter` is set, belong to the organisation that reported the issue."""

    permission: Permission
    categories: frozenset[str] = frozenset()
    reporter: bool = False

    def describe(self) -> str:
        """Who this rule lets in, in words: "a SECAS administrator"."""
        role = next(r for r in Role if self.permission in ROLE_PERMISSIONS[r]).label.lower()
        if self.reporter:
            return f"a {role} (or above) of the reporting organisation"
        where = " or ".join(sorted(PartyCategory(c).label for c in self.categories))
        return f"a {where} {role}" + (" (or above)" if role != "administrator" else "")

    def allows(self, user: User | AnonymousUser, issue: Issue) -> bool:
        if not user_has_permission(user, self.permission):
            return False
        organisation = getattr(user, "organisation", None)
        if organisation is None:
            return False
        if self.reporter and organisation.pk == issue.reporter_organisation_id:
            return True
        return organisation.category in self.categories


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    actors: tuple[ActorRule, ...]
    audit_verb: AuditEventType
    needs_reason: bool = False
    preconditions: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=())

    def allows(self, user: User | AnonymousUser, issue: Issue) -> bool:
        return any(rule.allows(user, issue) for rule in self.actors)

    def who_may(self) -> str:
        return " or ".join(rule.describe() for rule in self.actors)


SECAS_ADMIN = ActorRule(Permission.ADMINISTER_REGISTER, SECAS)
SECAS_COORDINATOR = ActorRule(Permission.COORDINATE_ISSUE, SECAS)
DCC_COORDINATOR = ActorRule(Permission.COORDINATE_ISSUE, DCC)
REPORTER_CONTRIBUTOR = ActorRule(Permission.REPORT_ISSUE, reporter=True)

_S = IssueState

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        name="submit_for_assessment",
        label="Submit for assessment",
        sources=frozenset({_S.DRAFT}),
        target=_S.UNDER_ASSESSMENT,
        actors=(REPORTER_CONTRIBUTOR, SECAS_COORDINATOR),
        preconditions=("has_affected_products",),
        audit_verb=AuditEventType.ISSUE_SUBMITTED,
    ),
    Transition(
        name="reject",
        label="Reject",
        sources=frozenset({_S.DRAFT, _S.UNDER_ASSESSMENT}),
        target=_S.REJECTED,
        actors=(SECAS_ADMIN,),
        needs_reason=True,
        audit_verb=AuditEventType.ISSUE_REJECTED,
    ),
    Transition(
        name="notify_manufacturer",
        label="Notify manufacturer",
        sources=frozenset({_S.UNDER_ASSESSMENT}),
        target=_S.MANUFACTURER_NOTIFIED,
        actors=(SECAS_ADMIN,),
        # The notice quotes the title and summary, so they must already be neutral.
        preconditions=("has_affected_products", "manufacturers_reachable", "notice_text_neutral"),
        audit_verb=AuditEventType.ISSUE_MANUFACTURER_NOTIFIED,
        notices=("manufacturer_notice",),
    ),
    Transition(
        name="return_to_assessment",
        label="Return to assessment",
        sources=frozenset({_S.MANUFACTURER_NOTIFIED}),
        target=_S.UNDER_ASSESSMENT,
        actors=(SECAS_ADMIN,),
        needs_reason=True,
        preconditions=("no_pending_proposal",),
        audit_verb=AuditEventType.ISSUE_RETURNED_TO_ASSESSMENT,
    ),
    Transition(
        name="propose_publication",
        label="Propose publication",
        sources=frozenset({_S.MANUFACTURER_NOTIFIED}),
        target=_S.MANUFACTURER_NOTIFIED,
        actors=(SECAS_ADMIN,),
        preconditions=("no_pending_proposal", "publication_threshold"),
        audit_verb=AuditEventType.ISSUE_PUBLICATION_PROPOSED,
    ),
    Transition(
        name="cancel_publication_proposal",
        label="Cancel publication proposal",
        sources=frozenset({_S.MANUFACTURER_NOTIFIED}),
        target=_S.MANUFACTURER_NOTIFIED,
        actors=(SECAS_ADMIN,),
        needs_reason=True,
        preconditions=("pending_proposal",),
        audit_verb=AuditEventType.ISSUE_PUBLICATION_PROPOSAL_CANCELLED,
    ),
    Transition(
        name="publish",
        label="Approve and publish",
        sources=frozenset({_S.MANUFACTURER_NOTIFIED}),
        target=_S.PUBLISHED,
        actors=(SECAS_ADMIN,),
        preconditions=("pending_proposal", "publication_threshold", "second_approver"),
        audit_verb=AuditEventType.ISSUE_PUBLISHED,
    ),
    Transition(
        name="resolve",
        label="Mark resolved",
        sources=frozenset({_S.PUBLISHED}),
        target=_S.RESOLVED,
        actors=(SECAS_ADMIN, DCC_COORDINATOR),
        needs_reason=True,
        audit_verb=AuditEventType.ISSUE_RESOLVED,
    ),
    Transition(
        name="close",
        label="Close",
        sources=frozenset({_S.RESOLVED}),
        target=_S.CLOSED,
        actors=(SECAS_ADMIN,),
        audit_verb=AuditEventType.ISSUE_CLOSED,
    ),
    Transition(
        name="withdraw",
        label="Withdraw",
        sources=frozenset({_S.PUBLISHED, _S.RESOLVED}),
        target=_S.WITHDRAWN,
        actors=(SECAS_ADMIN,),
        needs_reason=True,
        audit_verb=AuditEventType.ISSUE_WITHDRAWN,
    ),
    Transition(
        name="reopen",
        label="Reopen",
        sources=frozenset({_S.RESOLVED, _S.CLOSED}),
        target=_S.PUBLISHED,
        actors=(SECAS_ADMIN, DCC_COORDINATOR),
        needs_reason=True,
        audit_verb=AuditEventType.ISSUE_REOPENED,
    ),
    Transition(
        name="reconsider",
        label="Reconsider",
        sources=frozenset({_S.REJECTED}),
        target=_S.UNDER_ASSESSMENT,
        actors=(SECAS_ADMIN,),
        needs_reason=True,
        audit_verb=AuditEventType.ISSUE_RECONSIDERED,
    ),
)

TRANSITIONS_BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}


def get_transition(name: str) -> Transition | None:
    return TRANSITIONS_BY_NAME.get(name)


def user_can_take(*, user: User | AnonymousUser, issue: Issue, transition: str) -> bool:
    """Whether the user's role and organisation allow the step from the issue's current state.

    Preconditions are not evaluated here (they need the database); the service reports them.
    """
    step = TRANSITIONS_BY_NAME.get(transition)
    if step is None or issue.state not in step.sources:
        return False
    return step.allows(user, issue)


# Preconditions that say where a process of several steps stands, not what the issue lacks: a
# step with one of these unmet is not offered at all (nothing to cancel before a proposal).
SEQUENCE_PRECONDITIONS = frozenset({"no_pending_proposal", "pending_proposal"})


def steps_from(issue: Issue) -> list[Transition]:
    """Every step the table allows from the issue's state, whoever takes it."""
    return [t for t in TRANSITIONS if issue.state in t.sources]


def transitions_for(*, user: User | AnonymousUser, issue: Issue) -> list[Transition]:
    """The steps the user could take now, in table order (for buttons and API hints)."""
    return [t for t in TRANSITIONS if user_can_take(user=user, issue=issue, transition=t.name)]


# Who may edit the issue's fields, by state: the reporter while it is a draft; SECAS and DCC
# coordinators (the assessors) until it is frozen.
ASSESSORS = (SECAS_COORDINATOR, DCC_COORDINATOR)
EDITORS_BY_STATE: dict[str, tuple[ActorRule, ...]] = {
    _S.DRAFT: (ActorRule(Permission.REPORT_ISSUE, reporter=True), *ASSESSORS),
    _S.UNDER_ASSESSMENT: ASSESSORS,
    _S.MANUFACTURER_NOTIFIED: ASSESSORS,
    _S.PUBLISHED: ASSESSORS,
    _S.RESOLVED: ASSESSORS,
}


def user_can_edit(*, user: User | AnonymousUser, issue: Issue) -> bool:
    return any(rule.allows(user, issue) for rule in EDITORS_BY_STATE.get(issue.state, ()))
