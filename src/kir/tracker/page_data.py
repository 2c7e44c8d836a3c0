"""What the tracker pages show, read through the audience selectors (kir.tracker.selectors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Prefetch
from django.urls import reverse

from kir.accounts.models import User
from kir.formatting import number
from kir.register.models import Issue
from kir.register.selectors.visibility import issues_visible_to
from kir.tracker.models import (
    EditionFinding,
    EditionStatus,
    FindingComponent,
    FindingIssueLink,
    FixCheckResult,
    ManufacturerFindingResponse,
    TrackerEdition,
    TrackerFinding,
)
from kir.tracker.presenters import component_label, component_url, region_label
from kir.tracker.selectors import (
    editions_visible_to,
    finding_history_rows,
    finding_view,
    findings_for_lists,
    findings_visible_to,
    list_figures,
    with_views_for,
)

Viewer = User | AnonymousUser


@dataclass(frozen=True)
class Part:
    label: str
    url: str


@dataclass
class Row:
    """A finding as a list shows it: the figures the viewer may see, and its parts."""

    finding: TrackerFinding
    figures: dict[str, Any]
    parts: list[Part]
    dmcs: list[str] = field(default_factory=list)


_PARTS = Prefetch(
    "parts",
    queryset=FindingComponent.objects.select_related("device_version__device_model__manufacturer"),
)


def row_of(user: Viewer, finding: TrackerFinding) -> Row:
    return Row(
        finding=finding,
        figures=finding_view(user, finding),
        parts=[Part(component_label(p), component_url(p)) for p in finding.parts.all()],
        dmcs=list(finding.dmcs),
    )


def finding_page_rows(user: Viewer) -> Any:
    """The findings the user may see, each with what its page needs fetched alongside."""
    findings = findings_visible_to(user).select_related("run").defer("run__report")
    return with_views_for(user, findings).prefetch_related(_PARTS)


def rows_for(user: Viewer, findings: Any, *, limit: int | None = None) -> list[Row]:
    """A list's rows: only the figures a list shows (selectors.findings_for_lists), so a long
    list does not load every finding's series and drill-down."""
    prepared = findings_for_lists(user, findings).prefetch_related(_PARTS)
    if limit is not None:
        prepared = prepared[:limit]
    rows = [
        Row(
            finding=f,
            figures=list_figures(f),
            parts=[Part(component_label(p), component_url(p)) for p in f.parts.all()],
            dmcs=list(f.dmcs),
        )
        for f in prepared
    ]
    # Suppressed figures read as None: they sort last, in the run's own order.
    return sorted(rows, key=lambda r: -(r.figures.get("excess_alerts_per_day") or -1.0))


@dataclass
class RegionEdition:
    region: str
    edition: TrackerEdition
    rows: list[Row]


# The home page ranks the top of each region; the edition page lists them all.
HOME_ROWS = 50


def latest_editions_by_region(user: Viewer) -> list[RegionEdition]:
    """For each region, the latest published edition with findings there, ranked by excess
    (suppressed findings last, so their hidden figures do not place them)."""
    published = list(
        editions_visible_to(user).filter(status=EditionStatus.PUBLISHED).order_by("-number")[:20]
    )
    # Every edition's regions in one query, not one per edition.
    regions: dict[int, set[str]] = {}
    pairs = EditionFinding.objects.filter(edition__in=published).values_list(
        "edition_id", "finding__region"
    )
    for edition_id, region in pairs.distinct():
        regions.setdefault(edition_id, set()).add(region)
    found: dict[str, RegionEdition] = {}
    for edition in published:
        for region in sorted(regions.get(edition.pk, set()) - set(found)):
            findings = findings_visible_to(user).filter(editions=edition, region=region)
            findings = findings.order_by(
                "parties_suppressed", F("excess_alerts_per_day").desc(nulls_last=True)
            )
            rows = rows_for(user, findings, limit=HOME_ROWS)
            found[region] = RegionEdition(region_label(region), edition, rows)
    return [found[r] for r in sorted(found)]


@dataclass(frozen=True)
class HistoryPoint:
    edition: int
    run: int
    day: Any
    excess: float | None
    certainty: str

    @property
    def url(self) -> str:
        return reverse("tracker:edition", args=[self.edition])

    @property
    def excess_text(self) -> str:
        return "suppressed" if self.excess is None else number(self.excess)


def finding_history(user: Viewer, finding: TrackerFinding) -> list[HistoryPoint]:
    """The finding's key across published editions the viewer may see, oldest first."""
    return [
        HistoryPoint(
            row["edition_number"],
            row["run_id"],
            row["run__window_to"],
            None if row["excess"] is None else float(row["excess"]),
            row["certainty"],
        )
        for row in finding_history_rows(user, finding.key)
    ]


def trend(points: list[HistoryPoint]) -> str:
    """Rising, falling or steady (within 10 %) between the last two editions with figures."""
    known = [p.excess for p in points if p.excess is not None]
    if len(known) < 2:
        return "not enough editions to tell"
    before, now = known[-2], known[-1]
    if now > before * 1.1:
        return "rising"
    if now < before * 0.9:
        return "falling"
    return "steady"


def linked_issues(user: Viewer, finding_key: str) -> list[Issue]:
    # Most findings have no issue: one index lookup then, not the register's visibility query.
    ids = list(FindingIssueLink.objects.filter(finding_key=finding_key).values_list("issue_id"))
    if not ids:
        return []
    visible = issues_visible_to(user=user).filter(pk__in=[i for (i,) in ids])
    return list(visible.order_by("human_id"))


def fix_checks(issues: list[Issue]) -> list[FixCheckResult]:
    """The stored "fix verified by telemetry" rows of issues the caller already may see (the
    worker computes them: kir.tracker.fix_check_jobs)."""
    return list(FixCheckResult.objects.filter(issue__in=issues).order_by("issue_id", "position"))


def responses(finding_key: str) -> list[ManufacturerFindingResponse]:
    return list(
        ManufacturerFindingResponse.objects.filter(finding_key=finding_key).select_related(
            "organisation"
        )
    )
