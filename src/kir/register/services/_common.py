"""Helpers the register services share: permission checks, locking, versioning, manufacturers."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.catalogue.models import Manufacturer
from kir.register.errors import PermissionRefused, ValidationFailed, VersionConflict
from kir.register.models import (
    AffectedProduct,
    Involvement,
    InvolvementRole,
    Issue,
    ManufacturerNotice,
)
from kir.register.permissions import has_permission, is_frozen, is_secas_with


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
    from kir.register.selectors import issues_visible_to

    if not issues_visible_to(user=actor).filter(pk=issue.pk).exists():
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
    issue.refresh_from_db()
    return issue


def named_manufacturers(issue: Issue) -> list[Manufacturer]:
    """Manufacturers of the affected device versions and of every member of the affected DMCs."""
    products = AffectedProduct.objects.filter(issue=issue)
    direct = products.filter(device_version__isnull=False).values(
        "device_version__device_model__manufacturer_id"
    )
    in_dmcs = products.filter(dmc__isnull=False).values(
        "dmc__members__device_model__manufacturer_id"
    )
    return list(
        Manufacturer.objects.filter(Q(pk__in=direct) | Q(pk__in=in_dmcs))
        .select_related("organisation")
        .order_by("name")
    )


def manufacturer_organisations(issue: Issue) -> tuple[list[Organisation], list[str]]:
    """Organisations speaking for the named manufacturers (plus any organisation involved as
    manufacturer), and the names of catalogue manufacturers that have no organisation."""
    organisations: dict[int, Organisation] = {}
    unreachable = []
    for maker in named_manufacturers(issue):
        if maker.organisation is None:
            unreachable.append(maker.name)
        else:
            organisations.setdefault(maker.organisation.pk, maker.organisation)
    involved = Organisation.objects.filter(
        involvements__issue=issue, involvements__role=InvolvementRole.MANUFACTURER
    )
    for organisation in involved:
        organisations.setdefault(organisation.pk, organisation)
    ordered = sorted(organisations.values(), key=lambda o: o.name)
    return ordered, unreachable


def is_named_manufacturer(issue: Issue, organisation: Organisation | None) -> bool:
    if organisation is None:
        return False
    organisations, _ = manufacturer_organisations(issue)
    return any(o.pk == organisation.pk for o in organisations)


def set_involvement(
    issue: Issue, organisation: Organisation, role: str, status: str
) -> Involvement:
    involvement, _ = Involvement.objects.update_or_create(
        issue=issue, organisation=organisation, role=role, defaults={"status": status}
    )
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
