"""The tracker's JSON API: runs, findings, editions and series, through kir.tracker.selectors.

Answers: 200 with what the caller's audience may see (a supplier's own drill-down, the parties
view with suppressed figures as null, or DCC's and SECAS's full detail); 404 for a run, finding
or edition the caller may not see, exactly as for one that does not exist (runs exist only for
DCC and SECAS; findings and editions for other Parties only once published; POST /tracker/runs
is kir.tracker.api_runs); 422 for a filter
that is not one of the allowed values (region, certainty) or not a number (run, edition, page).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kir.accounts.models import User
from kir.api.auth import api_auth
from kir.register.api_schemas import ErrorOut
from kir.tracker.engine.disclosure import SUPPRESSED_FIELDS
from kir.tracker.models import TrackerEdition, TrackerFinding, TrackerRun
from kir.tracker.selectors import (
    FindingFilters,
    edition_get_visible,
    editions_visible_to,
    finding_get_visible,
    finding_view,
    findings_filtered,
    run_get_visible,
    runs_visible_to,
    with_views_for,
)

router = Router(auth=api_auth, tags=["tracker"])
PAGE_SIZE = 100
NOT_FOUND: dict[int, type[Any]] = {404: ErrorOut}
# The figures of a finding (the disclosure-controlled ones), returned under "figures".
FIGURES = tuple(
    n for n in SUPPRESSED_FIELDS if n not in ("daily", "first_seen", "last_seen", "onset")
)


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


class RunOut(Schema):
    id: int
    source: str
    status: str
    stage: str
    progress: float
    error: str
    started_by: str | None
    window_from: date | None
    window_to: date | None
    window_days: int | None
    rules_sha256: str
    engine_version: str
    input_files: list[dict[str, Any]]
    input_counts: dict[str, Any]
    rejected_rows: int
    unknown_devices: int
    unknown_device_alerts: int
    findings_count: int
    timings: dict[str, float]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def of(run: TrackerRun) -> RunOut:
        return RunOut(
            id=run.pk,
            source=run.source,
            status=run.status,
            stage=run.stage,
            progress=run.progress,
            error=run.error,
            started_by=run.started_by.get_username() if run.started_by else None,
            window_from=run.window_from,
            window_to=run.window_to,
            window_days=run.window_days,
            rules_sha256=run.rules_sha256,
            engine_version=run.engine_version,
            input_files=[{k: v for k, v in f.items() if k != "path"} for f in run.input_files],
            input_counts=run.input_counts,
            rejected_rows=run.rejected_rows,
            unknown_devices=run.unknown_devices,
            unknown_device_alerts=run.unknown_device_alerts,
            findings_count=run.findings_count,
            timings=run.timings,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )


class ComponentOut(Schema):
    device_type: str
    manufacturer: str
    model: str
    firmware_version: str


class FindingOut(Schema):
    id: int
    run: int
    key: str
    region: str
    alert_code: str
    alert_description: str
    certainty: str
    attribution: str
    components: list[ComponentOut]
    dmcs: list[str]
    suppressed: bool
    suppression_reason: str | None
    # null where disclosure control suppressed them for the caller's audience
    figures: dict[str, Any]
    first_seen: str | None
    last_seen: str | None
    onset: str | None
    # Device-level rows: DCC and SECAS all, a supplier its own; null when not allowed
    devices: list[dict[str, Any]] | None

    @staticmethod
    def of(user: User, finding: TrackerFinding) -> FindingOut:
        view = finding_view(user, finding)
        return FindingOut(
            id=finding.pk,
            run=finding.run_id,
            key=finding.key,
            region=view["region"],
            alert_code=view["alert_code"],
            alert_description=view.get("alert_description") or "",
            certainty=view["certainty"],
            attribution=view["attribution"],
            components=[ComponentOut(**c) for c in view["components"]],
            dmcs=view["dmcs"],
            suppressed=bool(view.get("suppressed")),
            suppression_reason=view.get("suppression_reason"),
            figures={name: view.get(name) for name in FIGURES},
            first_seen=view.get("first_seen"),
            last_seen=view.get("last_seen"),
            onset=view.get("onset"),
            devices=view.get("devices"),
        )


class FindingPageOut(Schema):
    items: list[FindingOut]
    total: int
    page: int
    pages: int


class FindingQueryIn(Schema):
    run: int | None = None
    edition: int | None = None
    region: Literal["north", "central", "south"] | None = None
    code: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    certainty: Literal["established", "corroborated", "indicative"] | None = None
    page: int = 1


class SeriesOut(Schema):
    finding: int
    suppressed: bool
    days: list[dict[str, Any]]


class EditionOut(Schema):
    id: int
    number: int
    run: int
    status: str
    grade: str
    published_at: datetime | None
    findings: list[int]

    @staticmethod
    def of(user: User, edition: TrackerEdition) -> EditionOut:
        visible = findings_filtered(user, FindingFilters(edition=edition.pk))
        return EditionOut(
            id=edition.pk,
            number=edition.number,
            run=edition.run_id,
            status=edition.status,
            grade=edition.grade,
            published_at=edition.published_at,
            findings=list(visible.values_list("pk", flat=True)),
        )


@router.get("/tracker/runs", response=list[RunOut], summary="Tracker runs (DCC and SECAS)")
def runs_list(request: HttpRequest) -> list[RunOut]:
    """Newest first, at most 100. Empty for anyone but DCC and SECAS."""
    return [RunOut.of(run) for run in runs_visible_to(_user(request))[:100]]


@router.get("/tracker/runs/{run_id}", response={200: RunOut, **NOT_FOUND})
def runs_detail(request: HttpRequest, run_id: int) -> RunOut:
    """One run with its progress, inputs, counts, timings and error."""
    return RunOut.of(run_get_visible(_user(request), run_id))


@router.get("/tracker/findings", response=FindingPageOut, summary="Findings the caller may see")
def findings_list(request: HttpRequest, params: Query[FindingQueryIn]) -> FindingPageOut:
    """Filtered by run, edition, region, alert code, manufacturer (GBCS id or catalogue name),
    model (GBCS id or catalogue name) and certainty; 100 a page."""
    user = _user(request)
    data = params.dict()
    filters = FindingFilters(**{k: v for k, v in data.items() if k != "page"})
    findings = with_views_for(user, findings_filtered(user, filters))
    total = findings.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(params.page, 1), pages)
    rows = findings[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return FindingPageOut(
        items=[FindingOut.of(user, f) for f in rows], total=total, page=page, pages=pages
    )


@router.get("/tracker/findings/{finding_id}", response={200: FindingOut, **NOT_FOUND})
def findings_detail(request: HttpRequest, finding_id: int) -> FindingOut:
    user = _user(request)
    return FindingOut.of(user, finding_get_visible(user, finding_id))


@router.get("/tracker/findings/{finding_id}/series", response={200: SeriesOut, **NOT_FOUND})
def findings_series(request: HttpRequest, finding_id: int) -> SeriesOut:
    """The finding's daily series (empty when disclosure control suppressed it)."""
    user = _user(request)
    finding = finding_get_visible(user, finding_id)
    view = finding_view(user, finding)
    return SeriesOut(
        finding=finding.pk, suppressed=bool(view.get("suppressed")), days=view.get("daily") or []
    )


@router.get("/tracker/editions", response=list[EditionOut], summary="Tracker editions")
def editions_list(request: HttpRequest) -> list[EditionOut]:
    """Every edition for DCC and SECAS; published and withdrawn ones for every other Party (a
    withdrawn edition lists no finding for them)."""
    user = _user(request)
    return [EditionOut.of(user, e) for e in editions_visible_to(user)[:100]]


@router.get("/tracker/editions/{edition_id}", response={200: EditionOut, **NOT_FOUND})
def editions_detail(request: HttpRequest, edition_id: int) -> EditionOut:
    user = _user(request)
    return EditionOut.of(user, edition_get_visible(user, edition_id))
