"""Who is involved in an issue and how far along they are (CSAF involvement vocabulary)."""

from __future__ import annotations

from django.db import transaction

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import Involvement, InvolvementRole, InvolvementStatus, Issue
from kir.register.permissions import COORDINATOR_CATEGORIES, may_manage_involvement
from kir.register.services._common import (
    require_not_frozen,
    require_secas,
    require_visible,
    set_involvement,
    write_issue,
)


@transaction.atomic
def involvement_set(
    *, issue: Issue, actor: User, organisation: Organisation, role: str, status: str
) -> Involvement:
    require_visible(actor, issue)
    require_not_frozen(issue)
    if not may_manage_involvement(actor, organisation):
        raise PermissionRefused("You may not change this organisation's involvement.")
    errors = {}
    if role not in InvolvementRole.values:
        errors["role"] = [f"Expected one of {', '.join(InvolvementRole.values)}."]
    if status not in InvolvementStatus.values:
        errors["status"] = [f"Expected one of {', '.join(InvolvementStatus.values)}."]
    if errors:
        raise ValidationFailed(errors)
    previous = (
        Involvement.objects.filter(issue=issue, organisation=organisation, role=role)
        .values_list("status", flat=True)
        .first()
    )
    involvement = set_involvement(issue, organisation, role, status)
    audit_record(
        actor=actor,
        verb=AuditEventType.INVOLVEMENT_SET,
        target=issue,
        data={"organisation": organisation.name, "role": role, "status": [previous, status]},
    )
    return involvement


@transaction.atomic
def coordinator_assign(*, issue: Issue, actor: User, organisation: Organisation) -> Issue:
    """Ask an organisation (normally DCC) to coordinate investigation and resolution."""
    require_secas(actor, Permission.COORDINATE_ISSUE, "assign a coordinator")
    require_not_frozen(issue)
    if organisation.category not in COORDINATOR_CATEGORIES:
        raise ValidationFailed({"organisation": ["A coordinator is DCC or SECAS."]})
    previous = issue.coordinator_organisation
    issue = write_issue(issue, coordinator_organisation=organisation)
    set_involvement(issue, organisation, InvolvementRole.COORDINATOR, InvolvementStatus.OPEN)
    audit_record(
        actor=actor,
        verb=AuditEventType.ISSUE_COORDINATOR_ASSIGNED,
        target=issue,
        data={
            "organisation": organisation.name,
            "previous": previous.name if previous else None,
        },
    )
    return issue
