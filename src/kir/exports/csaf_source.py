"""Reads a published issue from the register as the values its CSAF document is made from.

Who may read which issue is not decided here: callers get the issue from
kir.exports.selectors, which asks kir.register.selectors. Everything read here is what every
reader of a published issue sees on its page (statements, products, involvements of
manufacturers), never evidence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from kir.catalogue.models import DMC, Region
from kir.exports.csaf_input import (
    Affected,
    Combination,
    CsafIssue,
    Figure,
    Publisher,
    Revision,
    StatementText,
    VendorInvolvement,
    Version,
)
from kir.register.models import (
    AffectedProduct,
    Category,
    EvidenceLevel,
    ImpactLevel,
    InvolvementRole,
    Issue,
    IssueState,
    PublicationStatus,
    RootCauseStatus,
    Statement,
    StatementKind,
)

# Workflow steps after publication that change what the document says.
LATER_STEPS = {
    "resolve": "Marked resolved",
    "close": "Closed",
    "withdraw": "Withdrawn",
    "reopen": "Reopened",
}


def csaf_publisher() -> Publisher:
    return Publisher(
        name=settings.CSAF_PUBLISHER_NAME,
        namespace=settings.CSAF_PUBLISHER_NAMESPACE,
        contact_details=settings.CSAF_PUBLISHER_CONTACT,
        base_url=settings.SITE_URL.rstrip("/"),
    )


def csaf_issue_from(issue: Issue) -> CsafIssue:
    """The issue's document values; `issue` must be in a public state (published or after)."""
    statements = list(
        Statement.objects.filter(issue=issue)
        .select_related("organisation")
        .prefetch_related("superseded_by", "challenged_by")
    )
    return CsafIssue(
        human_id=issue.human_id,
        title=issue.title,
        summary=issue.summary,
        description=issue.description,
        category=Category(issue.category).label,
        regions=tuple(Region(region).label for region in issue.regions),
        state=issue.state,
        evidence_level=EvidenceLevel(issue.evidence_level).label,
        root_cause_status=RootCauseStatus(issue.root_cause_status).label,
        impact_level=ImpactLevel(issue.impact_level).label,
        impact_figures=_figures(issue),
        impact_rationale=issue.impact_rationale,
        affected=_affected(issue),
        statements=tuple(_in_force(statements)),
        revisions=_revisions(issue, statements),
        vendors=_vendors(issue),
        disputed=issue.is_disputed,
        withdrawn=issue.is_withdrawn,
        withdrawal_reason=_withdrawal_reason(issue),
    )


def _figures(issue: Issue) -> tuple[Figure, ...]:
    figures = []
    if issue.excess_alerts_per_day is not None:
        figures.append(Figure("Excess alerts per day", f"{issue.excess_alerts_per_day:,.0f}"))
    if issue.installations_affected is not None:
        figures.append(Figure("Installations affected", f"{issue.installations_affected:,}"))
    return tuple(figures)


VERSION_FIELDS = {
    "manufacturer_name": "device_model__manufacturer__name",
    "manufacturer_id": "device_model__manufacturer__identifier",
    "model_name": "device_model__name",
    "model_id": "device_model__model_id",
    "device_type": "device_model__device_type",
    "hardware_version": "hardware_version",
    "firmware_version": "firmware_version",
}


def _version(row: dict[str, Any], prefix: str) -> Version:
    return Version(**{name: row[prefix + column] for name, column in VERSION_FIELDS.items()})


def _affected(issue: Issue) -> tuple[Affected, ...]:
    """Read as plain values in two joined queries, the products with their versions and the
    members of their DMCs with theirs: model instances, and then a query per kind of row with
    every id in an IN list, made most of a 200-product document's cost
    (benchmarks/csaf_document.py, docs/csaf-mapping.md)."""
    version_columns = [f"device_version__{column}" for column in VERSION_FIELDS.values()]
    products = list(
        AffectedProduct.objects.filter(issue=issue)
        .order_by("id")
        .values(
            "status",
            "first_fixed_firmware",
            "device_version_id",
            "dmc_id",
            "dmc__identifier",
            "dmc__name",
            *version_columns,
        )
    )
    members: dict[int, list[Version]] = {}
    issue_dmcs = AffectedProduct.objects.filter(issue=issue, dmc__isnull=False).values("dmc_id")
    links = DMC.members.through.objects.filter(dmc_id__in=issue_dmcs).order_by("id")
    member_columns = [f"deviceversion__{column}" for column in VERSION_FIELDS.values()]
    for row in links.values("dmc_id", *member_columns):
        members.setdefault(row["dmc_id"], []).append(_version(row, "deviceversion__"))
    return tuple(
        Affected(
            status=p["status"],
            version=_version(p, "device_version__") if p["device_version_id"] else None,
            combination=Combination(
                identifier=p["dmc__identifier"],
                name=p["dmc__name"],
                members=tuple(members.get(p["dmc_id"], ())),
            )
            if p["dmc_id"]
            else None,
            first_fixed_firmware=p["first_fixed_firmware"],
        )
        for p in products
    )


def _in_force(statements: list[Statement]) -> list[StatementText]:
    return [
        StatementText(
            kind=statement.kind,
            kind_label=StatementKind(statement.kind).label,
            organisation=statement.organisation.name,
            created_at=statement.created_at,
            text=statement.text,
            challenged=bool(statement.challenged_by.all()),
        )
        for statement in statements
        if not statement.superseded_by.all()
    ]


def _revisions(issue: Issue, statements: list[Statement]) -> tuple[Revision, ...]:
    """Each approved publication, then what changed the published text: statements added after
    the first publication (corrections among them) and the later workflow steps."""
    approved = issue.publications.filter(status=PublicationStatus.APPROVED).select_related("policy")
    events: list[tuple[datetime, str]] = []
    for number, publication in enumerate(approved.order_by("approved_at", "id")):
        assert publication.approved_at is not None
        policy = f"threshold policy v{publication.policy.version}" if publication.policy else ""
        what = "Initial publication" if number == 0 else "Published again"
        events.append((publication.approved_at, f"{what} ({policy})" if policy else what))
    if not events and issue.published_at is not None:
        # Issues published before publication records were kept, or loaded from elsewhere.
        events.append((issue.published_at, "Initial publication"))
    if not events:
        raise ValueError(f"{issue.human_id} has no publication date: it was never published")
    first = events[0][0]
    for statement in statements:
        if statement.created_at > first:
            label = StatementKind(statement.kind).label
            events.append((statement.created_at, f"{label} by {statement.organisation.name}"))
    steps = issue.state_changes.filter(transition__in=LATER_STEPS, created_at__gt=first)
    for step in steps:
        reason = f": {step.reason.strip()}" if step.reason.strip() else ""
        events.append((step.created_at, LATER_STEPS[step.transition] + reason))
    events.sort(key=lambda event: event[0])
    return tuple(Revision(date=date, summary=summary) for date, summary in events)


def _vendors(issue: Issue) -> tuple[VendorInvolvement, ...]:
    involvements = issue.involvements.filter(role=InvolvementRole.MANUFACTURER).select_related(
        "organisation"
    )
    return tuple(
        VendorInvolvement(organisation=i.organisation.name, status=i.status) for i in involvements
    )


def _withdrawal_reason(issue: Issue) -> str:
    if issue.state != IssueState.WITHDRAWN:
        return ""
    step = issue.state_changes.filter(transition="withdraw").order_by("-created_at").first()
    return step.reason if step else ""
