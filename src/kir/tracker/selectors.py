"""Who sees what of the tracker: the one place the audience rule is decided.

DCC and SECAS see the `dcc` audience: every run, every finding, full figures and device
drill-down. A supplier sees its own drill-down (FindingSupplierView) beside the `parties` figures.
Every other member sees the `parties` audience: the findings of published editions, with the
engine's disclosure control applied (parties_view). A manufacturer told about a finding also sees
it while its edition is proposed, so it can respond before the edition goes out.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from kir.accounts.models import User
from kir.tracker.models import (
    EditionStatus,
    FindingSupplierView,
    ManufacturerFindingNotice,
    TrackerEdition,
    TrackerFinding,
)

DCC, SUPPLIER, PARTIES = "dcc", "supplier", "parties"


def tracker_audience_for(user: User | AnonymousUser) -> str | None:
    """dcc, supplier or parties; None for anyone who is not a signed-in, active member."""
    organisation = getattr(user, "organisation", None)
    if not user.is_authenticated or not user.is_active or organisation is None:
        return None
    if organisation.is_dcc or organisation.is_secas:
        return DCC
    if organisation.is_supplier:
        return SUPPLIER
    return PARTIES


def _organisation(user: User | AnonymousUser) -> Any:
    return getattr(user, "organisation", None)


def editions_visible_to(user: User | AnonymousUser) -> QuerySet[TrackerEdition]:
    audience = tracker_audience_for(user)
    if audience is None:
        return TrackerEdition.objects.none()
    if audience == DCC:
        return TrackerEdition.objects.all()
    return TrackerEdition.objects.filter(status=EditionStatus.PUBLISHED)


def findings_visible_to(user: User | AnonymousUser) -> QuerySet[TrackerFinding]:
    audience = tracker_audience_for(user)
    if audience is None:
        return TrackerFinding.objects.none()
    if audience == DCC:
        return TrackerFinding.objects.all()
    published = Q(editions__status=EditionStatus.PUBLISHED)
    told = ManufacturerFindingNotice.objects.filter(organisation=_organisation(user)).values(
        "finding_id"
    )
    return TrackerFinding.objects.filter(published | Q(pk__in=told)).distinct()


def finding_figures_for(user: User | AnonymousUser, finding: TrackerFinding) -> dict[str, Any]:
    """The finding's figures as `user` may see them: full for dcc, else the parties view, with a
    supplier's own drill-down (devices) when it has installations in the finding."""
    audience = tracker_audience_for(user)
    if audience == DCC:
        return {
            "suppressed": False,
            "devices": finding.devices,
            "daily": finding.daily,
            **{
                f.name: getattr(finding, f.name)
                for f in TrackerFinding._meta.concrete_fields
                if f.name not in ("daily", "devices", "parties_view")
            },
        }
    shown = dict(finding.parties_view)
    shown.pop("devices", None)
    if audience == SUPPLIER:
        own = FindingSupplierView.objects.filter(
            finding=finding,
            organisation=_organisation(user),
        ).first()
        if own is not None:
            shown["own_drilldown"] = own.drilldown
    return shown
