"""Each user's work, for the home page: what awaits them, read through the register's visibility
selectors so a worklist never names an issue its reader may not see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kir.accounts.models import PartyCategory, User
from kir.accounts.permissions import Permission
from kir.formatting import long_date
from kir.register.models import Issue, IssueState, ManufacturerNotice, Publication
from kir.register.models import PublicationStatus as Status
from kir.register.permissions import has_permission, is_secas_with
from kir.register.selectors import issues_visible_to
from kir.tracker.models import RunStatus
from kir.tracker.selectors import findings_visible_to, latest_run, runs_visible_to

ITEMS_PER_LIST = 20
NOTICE_PERIOD_HORIZON_DAYS = 7
TRACKER_FAILED_DAYS = 7


@dataclass(frozen=True)
class WorkItem:
    issue: Issue | None
    detail: str
    # (url, label) of an item that is not an issue (a tracker run, a finding).
    link: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        if self.link is not None:
            return self.link[0]
        assert self.issue is not None
        return f"/issues/{self.issue.human_id}/"

    @property
    def label(self) -> str:
        if self.link is not None:
            return self.link[1]
        assert self.issue is not None
        return f"{self.issue.human_id} {self.issue.title}"


@dataclass(frozen=True)
class Worklist:
    slug: str
    title: str
    items: list[WorkItem]


def _day(value: date) -> str:
    return long_date(value)


def _open_notices(user: User) -> QuerySet[ManufacturerNotice]:
    return (
        ManufacturerNotice.objects.filter(
            responded_at=None,
            issue__state=IssueState.MANUFACTURER_NOTIFIED,
            issue__in=issues_visible_to(user=user).values("pk"),
        )
        .select_related("issue", "organisation")
        .order_by("respond_by", "id")
    )


def notices_awaiting_response(user: User) -> Worklist | None:
    organisation = user.organisation
    if organisation is None:
        return None
    notices = _open_notices(user).filter(organisation=organisation)[:ITEMS_PER_LIST]
    items = [WorkItem(n.issue, f"respond by {_day(n.respond_by)}") for n in notices]
    if not items and organisation.category != PartyCategory.MANUFACTURER:
        return None  # an organisation told as manufacturer sees the list while it has notices
    return Worklist("notices", "Notices awaiting your response", items)


def notice_periods_ending(user: User) -> Worklist:
    horizon = timezone.localdate() + timedelta(days=NOTICE_PERIOD_HORIZON_DAYS)
    notices = _open_notices(user).filter(respond_by__lte=horizon)[:ITEMS_PER_LIST]
    items = [
        WorkItem(n.issue, f"{n.organisation.name}: notice period ends {_day(n.respond_by)}")
        for n in notices
    ]
    return Worklist("notice-periods", "Notice periods ending within a week", items)


def awaiting_assessment(user: User) -> Worklist:
    issues = issues_visible_to(user=user).filter(state=IssueState.UNDER_ASSESSMENT)
    items = [
        WorkItem(issue, f"submitted, updated {_day(issue.updated_at)}")
        for issue in issues.order_by("updated_at", "id")[:ITEMS_PER_LIST]
    ]
    return Worklist("assessment", "Issues awaiting assessment", items)


def proposals_awaiting_second_administrator(user: User) -> Worklist:
    proposals = (
        Publication.objects.filter(
            status=Status.PROPOSED, issue__in=issues_visible_to(user=user).values("pk")
        )
        .exclude(proposed_by=user)
        .select_related("issue", "proposed_by")
        .order_by("proposed_at", "id")[:ITEMS_PER_LIST]
    )
    items = [
        WorkItem(p.issue, f"proposed by {p.proposed_by.username} on {_day(p.proposed_at)}")
        for p in proposals
    ]
    return Worklist("proposals", "Publication proposals awaiting a second administrator", items)


def reported_by_my_organisation(user: User) -> Worklist | None:
    if user.organisation is None or not has_permission(user, Permission.REPORT_ISSUE):
        return None
    issues = issues_visible_to(user=user).filter(reporter_organisation=user.organisation)
    items = [
        WorkItem(issue, f"{issue.get_state_display().lower()}, updated {_day(issue.updated_at)}")
        for issue in issues.order_by("-updated_at", "-id")[:ITEMS_PER_LIST]
    ]
    return Worklist("reported", f"Reported by {user.organisation.name}", items)


def tracker_runs_to_watch(user: User) -> Worklist:
    """DCC: runs queued or running, and runs failed in the last week."""
    since = timezone.now() - timedelta(days=TRACKER_FAILED_DAYS)
    runs = runs_visible_to(user).filter(
        Q(status__in=(RunStatus.QUEUED, RunStatus.RUNNING))
        | Q(status=RunStatus.FAILED, created_at__gte=since)
    )
    items = [
        WorkItem(
            None,
            run.error[:120] if run.status == RunStatus.FAILED else run.stage,
            (f"/tracker/runs/{run.pk}/", f"Run {run.pk}: {run.get_status_display().lower()}"),
        )
        for run in runs.order_by("-created_at", "-id")[:ITEMS_PER_LIST]
    ]
    return Worklist("tracker-runs", "Tracker runs running or failed", items)


def tracker_findings_awaiting_edition(user: User) -> Worklist:
    """DCC: the latest run's findings that no edition includes yet, strongest first."""
    run = latest_run(user)
    findings = (
        findings_visible_to(user).none()
        if run is None
        else (findings_visible_to(user).filter(run=run, edition_entries__isnull=True))
    )
    items = [
        WorkItem(
            None,
            f"{f.certainty}, {f.excess_alerts_per_day} excess alerts per day",
            (f"/tracker/runs/{f.run_id}/", f"{f.region} {f.alert_code}: {f.attribution}"),
        )
        for f in findings.order_by("position")[:ITEMS_PER_LIST]
    ]
    return Worklist("tracker-findings", "Findings of the latest run awaiting an edition", items)


def worklists_for(*, user: User) -> list[Worklist]:
    lists: list[Worklist | None] = [notices_awaiting_response(user)]
    if user.organisation is not None and user.organisation.is_dcc:
        lists += [tracker_runs_to_watch(user), tracker_findings_awaiting_edition(user)]
    if is_secas_with(user, Permission.ADMINISTER_REGISTER):
        lists += [
            awaiting_assessment(user),
            proposals_awaiting_second_administrator(user),
            notice_periods_ending(user),
        ]
    lists.append(reported_by_my_organisation(user))
    return [worklist for worklist in lists if worklist is not None]
