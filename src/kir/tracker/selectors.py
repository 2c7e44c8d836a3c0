"""Reads of the tracker that depend on who asks: the one place that decides what each sees.

The audience rule is `tracker_audience_for` and nothing else decides it:

- DCC and SECAS (the register's OVERSIGHT_CATEGORIES): full detail, every run and finding,
  device-level drill-down and installation counts;
- a Supplier: the parties view, with the drill-down of its own installations only (the
  FindingSupplierView the run stored for its organisation);
- every other SEC Party: the parties view, exactly the engine's disclosure output (aggregates,
  small and one-supplier-dominated cells suppressed).

Anyone but DCC and SECAS sees a finding only when it is in a *published* edition (or, for a
manufacturer told about it, from the notice on); runs and
unpublished findings do not exist for them (404, as the register answers for a hidden issue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from kir.accounts.models import Organisation
from kir.register.selectors.visibility import OVERSIGHT_CATEGORIES, organisation_of
from kir.tracker.models import (
    EditionStatus,
    FindingSupplierView,
    ManufacturerFindingNotice,
    TrackerEdition,
    TrackerFinding,
    TrackerRun,
)
from kir.tracker.store import COLUMNS

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


class AudienceKind(StrEnum):
    FULL = "full"  # DCC and SECAS
    SUPPLIER = "supplier"  # the parties view plus its own installations
    PARTIES = "parties"  # the engine's "parties" audience
    NONE = "none"  # not a member of a SEC Party: sees nothing


@dataclass(frozen=True)
class TrackerAudience:
    kind: AudienceKind
    organisation: Organisation | None

    @property
    def is_full(self) -> bool:
        return self.kind == AudienceKind.FULL


def tracker_audience_for(user: User | AnonymousUser) -> TrackerAudience:
    """Which of the tracker's audiences the user belongs to; every tracker surface asks this."""
    organisation = organisation_of(user)
    if organisation is None:
        return TrackerAudience(AudienceKind.NONE, None)
    if organisation.category in OVERSIGHT_CATEGORIES:
        return TrackerAudience(AudienceKind.FULL, organisation)
    if organisation.is_supplier:
        return TrackerAudience(AudienceKind.SUPPLIER, organisation)
    return TrackerAudience(AudienceKind.PARTIES, organisation)


def runs_visible_to(user: User | AnonymousUser) -> QuerySet[TrackerRun]:
    """Runs are DCC's and SECAS's working material; nobody else sees one."""
    if not tracker_audience_for(user).is_full:
        return TrackerRun.objects.none()
    return TrackerRun.objects.select_related("started_by").defer("report")


def _one(rows: QuerySet[Any], pk: int, what: str) -> Any:
    """One row the user may see; anything else answers 404, exactly as a missing one."""
    row = rows.filter(pk=pk).first()
    if row is None:
        raise Http404(f"No such tracker {what}.")
    return row


def run_get_visible(user: User | AnonymousUser, run_id: int) -> TrackerRun:
    return _one(runs_visible_to(user), run_id, "run")


def editions_visible_to(user: User | AnonymousUser) -> QuerySet[TrackerEdition]:
    """DCC and SECAS: every edition. Any other Party: published editions, and withdrawn ones
    (their page says so and why, as a withdrawn issue stays listed), never their findings."""
    audience = tracker_audience_for(user)
    if audience.kind == AudienceKind.NONE:
        return TrackerEdition.objects.none()
    editions = TrackerEdition.objects.select_related("run")
    if audience.is_full:
        return editions
    return editions.filter(status__in=(EditionStatus.PUBLISHED, EditionStatus.WITHDRAWN))


def editions_showing_findings_to(user: User | AnonymousUser) -> QuerySet[TrackerEdition]:
    """The editions whose findings the user may list: all for DCC and SECAS, published ones for
    every other Party (a withdrawn edition no longer shows its findings)."""
    editions = editions_visible_to(user)
    if tracker_audience_for(user).is_full:
        return editions
    return editions.filter(status=EditionStatus.PUBLISHED)


def edition_get_visible(user: User | AnonymousUser, edition_id: int) -> TrackerEdition:
    return _one(editions_visible_to(user), edition_id, "edition")


def findings_visible_to(user: User | AnonymousUser) -> QuerySet[TrackerFinding]:
    """DCC and SECAS: every finding of every run. Anyone else: findings in a published edition."""
    audience = tracker_audience_for(user)
    if audience.kind == AudienceKind.NONE:
        return TrackerFinding.objects.none()
    findings = TrackerFinding.objects.select_related("run")
    if audience.is_full:
        return findings
    published = TrackerFinding.objects.filter(
        edition_entries__edition__status=EditionStatus.PUBLISHED
    ).values("pk")
    # A manufacturer told about a finding sees it from the notice on, before the edition goes
    # out, as a named manufacturer sees an issue from its notice (so it can respond first).
    told = ManufacturerFindingNotice.objects.filter(
        organisation=audience.organisation, finding__isnull=False
    ).values("finding_id")
    return findings.filter(Q(pk__in=published) | Q(pk__in=told))


def finding_get_visible(user: User | AnonymousUser, finding_id: int) -> TrackerFinding:
    return _one(findings_visible_to(user), finding_id, "finding")


@dataclass(frozen=True)
class FindingFilters:
    run: int | None = None
    region: str | None = None
    code: str | None = None
    manufacturer: str | None = None  # GBCS id (4 hex) or the catalogue's name
    model: str | None = None  # GBCS model id (8 hex) or the catalogue's model name
    certainty: str | None = None
    edition: int | None = None


def findings_filtered(
    user: User | AnonymousUser, filters: FindingFilters
) -> QuerySet[TrackerFinding]:
    """The user's findings (findings_visible_to) narrowed by the filters, in SQL."""
    findings = findings_visible_to(user)
    if filters.run is not None:
        findings = findings.filter(run_id=filters.run)
    if filters.edition is not None:
        findings = findings.filter(
            pk__in=editions_showing_findings_to(user)
            .filter(pk=filters.edition)
            .values("entries__finding")
        )
    if filters.region:
        findings = findings.filter(region=filters.region.lower())
    if filters.code:
        findings = findings.filter(alert_code=filters.code.upper())
    if filters.certainty:
        findings = findings.filter(certainty=filters.certainty.lower())
    if filters.manufacturer:
        text = filters.manufacturer.strip()
        by_id = findings.filter(parts__manufacturer=text.upper())
        by_name = findings.filter(parts__catalogue_manufacturer__name__iexact=text)
        findings = findings.filter(pk__in=(by_id | by_name).values("pk"))
    if filters.model:
        text = filters.model.strip()
        by_id = findings.filter(parts__model=text.upper())
        by_name = findings.filter(parts__device_version__device_model__name__iexact=text)
        findings = findings.filter(pk__in=(by_id | by_name).values("pk"))
    return findings.order_by("run_id", "position")


def with_views_for(
    user: User | AnonymousUser, findings: QuerySet[TrackerFinding]
) -> QuerySet[TrackerFinding]:
    """Prefetch what finding_view needs for this user (a supplier's own drill-downs)."""
    audience = tracker_audience_for(user)
    if audience.kind != AudienceKind.SUPPLIER:
        return findings
    own = FindingSupplierView.objects.filter(organisation=audience.organisation)
    return findings.prefetch_related(Prefetch("supplier_views", queryset=own, to_attr="own_views"))


# What a findings list (tracker home, an edition page) shows of each finding. Lists read only
# these, from the column (DCC, SECAS) or the parties view (everyone else: a supplier's own view
# differs from it only by its devices, which no list shows); series and drill-downs stay unread.
LIST_FIGURES = ("excess_alerts_per_day", "prevalence", "persistence")
_HEAVY = ("daily", "devices", "parties_view", "natural_variation", "homogeneity")


def findings_for_lists(
    user: User | AnonymousUser, findings: QuerySet[TrackerFinding]
) -> QuerySet[TrackerFinding]:
    """`findings` (already the user's) with the list figures the user may see annotated."""
    from django.db.models import BooleanField, CharField, F, Value
    from django.db.models.fields.json import KeyTransform

    findings = findings.defer(*_HEAVY)
    if tracker_audience_for(user).is_full:
        return findings.annotate(
            list_suppressed=Value(False, output_field=BooleanField()),
            list_reason=Value("", output_field=CharField()),
            **{f"list_{name}": F(name) for name in LIST_FIGURES},
        )
    # From the stored parties view itself, the one source finding_view reads too.
    return findings.annotate(
        list_suppressed=KeyTransform("suppressed", "parties_view"),
        list_reason=KeyTransform("suppression_reason", "parties_view"),
        **{f"list_{name}": KeyTransform(name, "parties_view") for name in LIST_FIGURES},
    )


def list_figures(finding: TrackerFinding) -> dict[str, Any]:
    """The figures findings_for_lists annotated on `finding`, as finding_view names them."""
    figures = {name: getattr(finding, f"list_{name}") for name in LIST_FIGURES}
    figures["suppressed"] = bool(getattr(finding, "list_suppressed"))  # noqa: B009
    figures["suppression_reason"] = getattr(finding, "list_reason") or ""  # noqa: B009
    return figures


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def full_view(finding: TrackerFinding) -> dict[str, Any]:
    """The finding as DCC and SECAS see it: the engine's dcc audience dict."""
    view: dict[str, Any] = {
        "region": finding.region,
        "alert_code": finding.alert_code,
        "alert_description": finding.alert_description,
        "attribution": finding.attribution,
        "components": finding.components,
        "dmcs": finding.dmcs,
        "certainty": finding.certainty,
        "region_specific": finding.region_specific,
        "found_in_regions": finding.found_in_regions,
    }
    view.update({name: getattr(finding, name) for name in COLUMNS})
    view["rate_ratio_ci"] = [finding.rate_ratio_ci_low, finding.rate_ratio_ci_high]
    view.update({k: _day(getattr(finding, k)) for k in ("first_seen", "last_seen", "onset")})
    view["suppressed"] = False
    view["devices"] = finding.devices
    return view


def finding_view(user: User | AnonymousUser, finding: TrackerFinding) -> dict[str, Any]:
    """What this user may see of a finding it may see (findings_visible_to): the full view, a
    supplier's own drill-down, or the parties view. "devices" is present only where allowed."""
    audience = tracker_audience_for(user)
    if audience.is_full:
        return full_view(finding)
    if audience.kind == AudienceKind.SUPPLIER:
        own = getattr(finding, "own_views", None)
        if own is None:
            own = list(finding.supplier_views.filter(organisation=audience.organisation))
        if own:
            return dict(own[0].drilldown)
    return dict(finding.parties_view)


def finding_series(user: User | AnonymousUser, finding: TrackerFinding) -> list[dict[str, Any]]:
    """The daily series as the user may see it: empty where disclosure control suppressed it."""
    return finding_view(user, finding).get("daily") or []


def finding_history(
    user: User | AnonymousUser, finding: TrackerFinding
) -> QuerySet[TrackerFinding]:
    """The same problem (same key) in every run or edition the user may see, oldest first."""
    return findings_visible_to(user).filter(key=finding.key).order_by("run__created_at", "run_id")


def latest_run(user: User | AnonymousUser) -> TrackerRun | None:
    """The newest succeeded run the user may see (DCC and SECAS only)."""
    return runs_visible_to(user).filter(status="succeeded").order_by("-created_at", "-id").first()


def finding_history_rows(user: User | AnonymousUser, key: str) -> list[dict[str, Any]]:
    """The key's rows in the published editions the user may see, oldest first: edition number,
    run end, certainty and excess alerts a day as the user's view shows it (the column for DCC
    and SECAS, the parties view's value for everyone else), without loading the series.

    Read from the edition entries: a finding in a published edition is one every audience that
    sees editions may see (findings_visible_to), so the entries need no second visibility test,
    and the query walks the key's index instead of every published finding."""
    from django.db.models import F
    from django.db.models.fields.json import KeyTransform

    from kir.tracker.models import EditionFinding

    audience = tracker_audience_for(user)
    if audience.kind == AudienceKind.NONE:
        return []
    excess = (
        F("finding__excess_alerts_per_day")
        if audience.is_full
        else KeyTransform("excess_alerts_per_day", "finding__parties_view")
    )
    rows = (
        EditionFinding.objects.filter(finding__key=key, edition__status=EditionStatus.PUBLISHED)
        .annotate(excess=excess)
        .order_by("edition__number")
        .values_list(
            "edition__number",
            "finding__run_id",
            "finding__run__window_to",
            "finding__certainty",
            "excess",
        )
    )
    fields = ("edition_number", "run_id", "run__window_to", "certainty", "excess")
    return [dict(zip(fields, row, strict=True)) for row in rows]
