"""Who may act on the register: the predicates the services enforce and the pages offer.

The services raise when one of these answers no (`require_*` in services/_common.py); the pages
ask the same predicates which links and forms to show, so a page never offers what its service
would refuse. Visibility is the selectors' concern: these answer for an issue the actor can see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kir.accounts.models import PartyCategory
from kir.accounts.permissions import Permission, user_has_permission
from kir.register.selectors.visibility import is_named_manufacturer
from kir.register.workflow import FROZEN_STATES, user_can_edit

if TYPE_CHECKING:
    from kir.accounts.models import Organisation, User
    from kir.register.models import Issue, Statement


# Organisations that may be asked to coordinate (seed option 3(b)(iii) names DCC).
COORDINATOR_CATEGORIES = frozenset({PartyCategory.DCC, PartyCategory.SECAS})


def has_permission(actor: User, permission: Permission) -> bool:
    """The actor's role grants `permission` (only active members of an organisation hold any)."""
    return user_has_permission(actor, permission)


def is_secas_with(actor: User, permission: Permission) -> bool:
    organisation = getattr(actor, "organisation", None)
    return bool(
        has_permission(actor, permission) and organisation is not None and organisation.is_secas
    )


def is_frozen(issue: Issue) -> bool:
    """Closed, withdrawn and rejected issues take no new statements, evidence or involvement."""
    return issue.state in FROZEN_STATES


def speaks_for_named_manufacturer(actor: User, issue: Issue) -> bool:
    return is_named_manufacturer(issue, getattr(actor, "organisation_id", None))


def may_manage_involvement(actor: User, organisation: Organisation) -> bool:
    """Coordinators (SECAS, DCC) manage everyone's involvement; an organisation its own."""
    own = getattr(actor, "organisation", None)
    if own is None:
        return False
    if own.category in COORDINATOR_CATEGORIES and has_permission(
        actor, Permission.COORDINATE_ISSUE
    ):
        return True
    return own.pk == organisation.pk and has_permission(actor, Permission.ADD_STATEMENT)


def may_report(actor: User) -> bool:
    return has_permission(actor, Permission.REPORT_ISSUE)


def may_edit_issue(actor: User, issue: Issue) -> bool:
    return user_can_edit(user=actor, issue=issue)


def may_add_statement(actor: User, issue: Issue) -> bool:
    return has_permission(actor, Permission.ADD_STATEMENT) and not is_frozen(issue)


# Statements of what caused a problem and how it is fixed speak for the issue: only those who
# know it first hand add them (the named manufacturers, the reporter, DCC and SECAS); anyone
# else who sees the issue may challenge them.
AUTHORITATIVE_KINDS = frozenset({"root_cause", "remediation"})


def may_state_cause_or_remedy(actor: User, issue: Issue) -> bool:
    organisation = getattr(actor, "organisation", None)
    if organisation is None:
        return False
    return (
        organisation.category in COORDINATOR_CATEGORIES
        or organisation.pk == issue.reporter_organisation_id
        or speaks_for_named_manufacturer(actor, issue)
    )


def may_add_statement_of_kind(actor: User, issue: Issue, kind: str) -> bool:
    """The statement kinds an actor may add: a manufacturer response only by a named
    manufacturer, root cause and remediation only by those in AUTHORITATIVE_KINDS' comment."""
    if not may_add_statement(actor, issue):
        return False
    if kind == "manufacturer_response":
        return speaks_for_named_manufacturer(actor, issue)
    if kind in AUTHORITATIVE_KINDS:
        return may_state_cause_or_remedy(actor, issue)
    return True


def may_supersede(actor: User, statement: Statement) -> bool:
    """A statement is superseded by its own organisation, or by a SECAS administrator."""
    own = statement.organisation_id == getattr(actor, "organisation_id", None)
    return own or is_secas_with(actor, Permission.ADMINISTER_REGISTER)


def may_respond_as_manufacturer(actor: User, issue: Issue) -> bool:
    return may_add_statement(actor, issue) and speaks_for_named_manufacturer(actor, issue)


def may_upload_evidence(actor: User, issue: Issue) -> bool:
    return has_permission(actor, Permission.UPLOAD_EVIDENCE) and not is_frozen(issue)


def may_edit_policy(actor: User) -> bool:
    return is_secas_with(actor, Permission.EDIT_THRESHOLD_POLICY)


def may_override_language(actor: User) -> bool:
    return is_secas_with(actor, Permission.OVERRIDE_LANGUAGE_CHECK)


def may_override_language_on(actor: User, issue: Issue) -> bool:
    """Record an override on this issue's text: frozen issues take none."""
    return may_override_language(actor) and not is_frozen(issue)
