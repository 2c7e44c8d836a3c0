"""Helpers the register services share: permission checks, locking, versioning, involvement."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.exports.provider_jobs import csaf_entry_enqueue
from kir.register.errors import PermissionRefused, ValidationFailed, VersionConflict
from kir.register.models import (
    Involvement,
    Issue,
    ManufacturerNotice,
)
from kir.register.permissions import has_permission, is_frozen, is_secas_with
from kir.register.selectors.visibility import issue_is_visible_to
from kir.register.workflow import PUBLIC_STATES


def require_permission(actor: User, permission: Permission, action: str) -> None:
    if not has_permission(actor, permission):
        raise PermissionRefused(f"Your role does not allow you to {action}.")


def require_member(actor: User, permission: Permission, action: str) -> Organisation:
    """The permission, and the actor's organisation, which will author what the actor writes."""
    require_permission(actor, permission, action)
    # The role table already refuses users without one; this keeps the refusal explicit.
    if actor.organisation is None:
        raise PermissionRefused(f"Only members of an organisation may {action}.")
    return actor.organisation


def require_secas(actor: User, permission: Permission, action: str) -> None:
    require_permission(actor, permission, action)
    if not is_secas_with(actor, permission):
        raise PermissionRefused(f"Only SECAS may {action}.")


def require_visible(actor: User, issue: Issue) -> None:
    """The selectors decide visibility; a service never acts on an issue its actor cannot see."""
    if not issue_is_visible_to(actor, issue):
        raise PermissionRefused("You cannot act on this issue.")


def require_not_frozen(issue: Issue) -> None:
    if is_frozen(issue):
        raise ValidationFailed(
            {
                "issue": [
                    f"{issue.human_id} is {issue.get_state_display().lower()}; reopen it first."
                ]
            }
        )


def reindex(issue: Issue) -> None:
    from kir.search.index import index_issue

    index_issue(issue)


def published_copy_changed(issue: Issue, *, was_public: bool = False) -> None:
    """Queue the refresh of the issue's CSAF provider entry when the change shows in it (or the
    issue just left the published register), in the transaction of the change."""
    if was_public or issue.state in PUBLIC_STATES:
        csaf_entry_enqueue(issue_id=issue.pk)


def lock_issue(issue: Issue) -> Issue:
    """The issue re-read under a row lock, so checks and the write see the same state."""
    return Issue.objects.select_for_update().get(pk=issue.pk)


def write_issue(issue: Issue, *, expected_version: int | None = None, **fields: Any) -> Issue:
    """UPDATE ... SET version = version + 1 WHERE id = ? [AND version = expected].

    Zero rows means someone else saved first: raise VersionConflict carrying their version, and
    write nothing, so neither edit is lost silently.
    """
    rows = Issue.objects.filter(pk=issue.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(version=F("version") + 1, updated_at=timezone.now(), **fields)
    if updated == 0:
        raise VersionConflict(Issue.objects.get(pk=issue.pk))
    was_public = issue.state in PUBLIC_STATES
    issue.refresh_from_db()
    published_copy_changed(issue, was_public=was_public)
    return issue


def set_involvement(
    issue: Issue, organisation: Organisation, role: str, status: str
) -> Involvement:
    involvement, _ = Involvement.objects.update_or_create(
        issue=issue, organisation=organisation, role=role, defaults={"status": status}
    )
    published_copy_changed(issue)
    return involvement


def record_response(
    issue: Issue, organisation: Organisation, *, acknowledged: bool = False
) -> ManufacturerNotice | None:
    """Mark the organisation's latest notice on the issue as answered (the first answer counts)."""
    notice = (
        ManufacturerNotice.objects.select_for_update()
        .filter(issue=issue, organisation=organisation)
        .order_by("-sent_at", "-id")
        .first()
    )
    if notice is None:
        return None
    now = timezone.now()
    if notice.responded_at is None:
        notice.responded_at = now
    if acknowledged and notice.acknowledged_at is None:
        notice.acknowledged_at = now
    notice.save(update_fields=["responded_at", "acknowledged_at"])
    return notice
