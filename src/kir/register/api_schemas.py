"""Pydantic schemas of the register's JSON API (they also make its OpenAPI description).

Answers are plain pydantic models built from plain values: ninja's Schema wraps every object it
validates for ORM attribute access, which for a procurement check matching hundreds of issues
cost more than the database work. Requests use ninja's Schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field
from pydantic import BaseModel

from kir.catalogue.models import Region
from kir.register.api_input import (
    JSON_NUMBER,
    PROCUREMENT_ITEM,
    Count,
    IsoDate,
    StrictInput,
    Text,
)
from kir.register.models import (
    MAX_COUNT,
    TEXT_LIMITS,
    AffectedProduct,
    Category,
    EvidenceLevel,
    ImpactLevel,
    Issue,
    IssueState,
    ProductStatus,
    RootCauseStatus,
    Statement,
    StatementKind,
)
from kir.register.selectors.procurement import MAX_PROCUREMENT_PAGE_SIZE, PROCUREMENT_PAGE_SIZE

# Measured figures in a JSON body (bounds before JSON_NUMBER: kir.register.api_input).
Figure = Annotated[float, Field(ge=0, allow_inf_nan=False), JSON_NUMBER]
InstallationCount = Annotated[int, Field(ge=0, le=MAX_COUNT), JSON_NUMBER]

# Deepest page the list serves: the list counts up to the requested page, so the page bounds
# that work (10,000 pages of 100 is more than the register will hold).
MAX_PAGE = 10_000


class ErrorOut(BaseModel):
    """Every error answer of the API (400, 401, 403, 404, 409, 413, 422)."""

    detail: str | list[dict[str, Any]] = Field(
        description=(
            "What went wrong; for a request that does not match the schema, one entry per "
            "problem with its location (`loc`), message (`msg`) and type"
        )
    )
    # Every unmet condition of a refused transition, not just the first.
    reasons: list[str] = []
    # Field name -> messages, for validation failures.
    errors: dict[str, list[str]] = {}
    # On a version conflict: the version now saved, to reload and retry from.
    current_version: int | None = None


class IssueSummaryOut(BaseModel):
    human_id: str
    title: str
    state: IssueState
    category: Category
    regions: list[str]
    evidence_level: EvidenceLevel
    root_cause_status: RootCauseStatus
    impact_level: ImpactLevel
    disputed: bool = Field(description="True when a named manufacturer disputes the issue")
    withdrawn: bool
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None

    @staticmethod
    def from_issue(issue: Issue) -> IssueSummaryOut:
        return IssueSummaryOut(**summary_fields(issue))

    @staticmethod
    def from_values(row: dict[str, Any]) -> IssueSummaryOut:
        """From a dict of the Issue columns in SUMMARY_COLUMNS (issue_search_values)."""
        return IssueSummaryOut(
            **row,
            disputed=row["root_cause_status"] == RootCauseStatus.DISPUTED,
            withdrawn=row["state"] == IssueState.WITHDRAWN,
        )


# The Issue columns an IssueSummaryOut is made from; `disputed` and `withdrawn` derive from them.
SUMMARY_COLUMNS = (
    "human_id",
    "title",
    "state",
    "category",
    "regions",
    "evidence_level",
    "root_cause_status",
    "impact_level",
    "version",
    "created_at",
    "updated_at",
    "published_at",
)


def summary_fields(issue: Issue) -> dict[str, Any]:
    return {
        "human_id": issue.human_id,
        "title": issue.title,
        "state": issue.state,
        "category": issue.category,
        "regions": list(issue.regions),
        "evidence_level": issue.evidence_level,
        "root_cause_status": issue.root_cause_status,
        "impact_level": issue.impact_level,
        "disputed": issue.is_disputed,
        "withdrawn": issue.state == IssueState.WITHDRAWN,
        "version": issue.version,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "published_at": issue.published_at,
    }


class IssuePageOut(BaseModel):
    items: list[IssueSummaryOut]
    total: int = Field(
        description="Number of matching issues; a lower bound when total_is_estimate is true"
    )
    total_is_estimate: bool = Field(
        description=(
            "True when there are more matches than were counted (more than total, and more "
            "than one page beyond the requested one): show it as 'total+'"
        )
    )
    page: int
    pages: int = Field(description="Pages known so far; more follow when total_is_estimate")
    page_size: int
    did_you_mean: str | None = Field(
        default=None,
        description=(
            "When the search found fewer than 3 issues: `q` with its misspelt words replaced by "
            "the nearest words of the issues this user may see, if that finds any issue with "
            "the same filters (search again with it as `q`); otherwise null"
        ),
    )


class ProductOut(BaseModel):
    kind: str = Field(description="device_version or dmc")
    manufacturer_id: str | None = None
    model_id: str | None = None
    model_name: str | None = None
    hardware_version: str | None = None
    firmware_version: str | None = None
    dmc: str | None = None
    status: ProductStatus
    first_fixed_firmware: str

    @staticmethod
    def from_product(product: AffectedProduct) -> ProductOut:
        status = ProductStatus(product.status)
        fixed = product.first_fixed_firmware
        version = product.device_version
        if version is None:
            dmc = product.dmc.identifier if product.dmc else None
            return ProductOut(kind="dmc", dmc=dmc, status=status, first_fixed_firmware=fixed)
        model = version.device_model
        return ProductOut(
            kind="device_version",
            status=status,
            first_fixed_firmware=fixed,
            manufacturer_id=model.manufacturer.identifier,
            model_id=model.model_id,
            model_name=model.name,
            hardware_version=version.hardware_version,
            firmware_version=version.firmware_version,
        )


class StatementOut(BaseModel):
    id: int
    kind: StatementKind
    text: str
    organisation: str
    created_at: datetime
    supersedes: int | None
    challenges: int | None
    superseded_by: list[int]
    challenged_by: list[int]

    @staticmethod
    def from_statement(
        statement: Statement, later: dict[str, dict[int, list[int]]]
    ) -> StatementOut:
        return StatementOut(
            id=statement.pk,
            kind=StatementKind(statement.kind),
            text=statement.text,
            organisation=str(statement.organisation),
            created_at=statement.created_at,
            supersedes=statement.supersedes_id,
            challenges=statement.challenges_id,
            superseded_by=later["superseded_by"].get(statement.pk, []),
            challenged_by=later["challenged_by"].get(statement.pk, []),
        )


class StateChangeOut(BaseModel):
    transition: str
    from_state: str
    to_state: str
    actor: str
    reason: str
    created_at: datetime


class InvolvementOut(BaseModel):
    organisation: str
    role: str
    status: str


class NoticeOut(BaseModel):
    organisation: str
    sent_at: datetime
    respond_by: date
    acknowledged_at: datetime | None
    responded_at: datetime | None


class IssueDetailOut(IssueSummaryOut):
    summary: str
    description: str
    excess_alerts_per_day: float | None
    installations_affected: int | None
    impact_rationale: str
    reporter_organisation: str
    coordinator_organisation: str | None
    products: list[ProductOut]
    statements: list[StatementOut]
    involvements: list[InvolvementOut]
    timeline: list[StateChangeOut]
    notices: list[NoticeOut]
    transitions: list[str] = Field(
        description="Steps your role and organisation may take now (conditions are checked then)"
    )


class ProductIn(StrictInput):
    """An affected product: a catalogue device version (by id) or a DMC (by identifier)."""

    device_version_id: Count | None = None
    dmc: Text | None = None
    status: ProductStatus = ProductStatus.UNDER_INVESTIGATION
    first_fixed_firmware: Text = ""


class IssueCreateIn(StrictInput):
    title: Text = Field(min_length=1, max_length=TEXT_LIMITS["title"])
    summary: Text = Field(min_length=1, max_length=TEXT_LIMITS["summary"])
    description: Text = Field(default="", max_length=TEXT_LIMITS["description"])
    category: Category
    regions: list[Region] = []
    evidence_level: EvidenceLevel = EvidenceLevel.REPORTED
    impact_level: ImpactLevel = ImpactLevel.LOW
    excess_alerts_per_day: Figure | None = None
    installations_affected: InstallationCount | None = None
    impact_rationale: Text = Field(default="", max_length=TEXT_LIMITS["impact_rationale"])
    products: list[ProductIn] = []


class TransitionIn(StrictInput):
    transition: Text
    reason: Text = ""
    expected_version: Count | None = Field(
        default=None, description="The version you read; refused with 409 if it changed since"
    )


class StatementIn(StrictInput):
    kind: StatementKind
    text: Text = Field(min_length=1, max_length=20000)
    supersedes: Count | None = Field(default=None, description="Id of a statement this replaces")
    challenges: Count | None = Field(default=None, description="Id of a statement this contests")


class ProcurementCheckIn(StrictInput):
    # The pattern admits no NUL: plain str.
    items: list[Annotated[str, Field(pattern=PROCUREMENT_ITEM)]] = Field(
        default=[],
        max_length=500,
        description=(
            "One item per string: MANUFACTURER MODEL (4 and 8 hex digits), optionally followed "
            "by fw FIRMWARE (8 hex digits), or a DMC identifier (DMC- and 12 hex digits)"
        ),
    )
    limit: Annotated[int, Field(ge=1, le=MAX_PROCUREMENT_PAGE_SIZE), JSON_NUMBER] = Field(
        default=PROCUREMENT_PAGE_SIZE,
        description="Matches answered per item (newest publication first)",
    )
    offset: Annotated[int, Field(ge=0), JSON_NUMBER] = Field(
        default=0,
        description="Matches of each item to skip: send an item again with offset to page on",
    )


class ProcurementProductOut(BaseModel):
    product: str = Field(description="MANUFACTURER/MODEL/FIRMWARE of a device version, or a DMC")
    status: ProductStatus


class ProcurementMatchOut(BaseModel):
    human_id: str
    title: str
    state: IssueState
    disputed: bool
    withdrawn: bool
    published_at: datetime | None
    # The affected products through which the issue touches the item.
    products: list[ProcurementProductOut]


class ProcurementResultOut(BaseModel):
    item: str
    kind: str = Field(description="model, firmware or dmc")
    in_catalogue: bool = Field(
        description="False when the catalogue has no such item: nothing found proves nothing"
    )
    total: int = Field(description="How many issues on the register touch the item")
    offset: int
    more: int = Field(description="How many touching issues come after `matches`")
    matches: list[ProcurementMatchOut]


class ProcurementCheckOut(BaseModel):
    results: list[ProcurementResultOut]


class ManufacturerResponseIn(StrictInput):
    response: Literal["acknowledge", "dispute"]
    rationale: Text = ""


class IssueUpdateIn(StrictInput):
    """Fields to change; `expected_version` is the version you read (409 if it changed since)."""

    expected_version: Count
    title: Text | None = None
    summary: Text | None = None
    description: Text | None = Field(default=None, max_length=TEXT_LIMITS["description"])
    category: Category | None = None
    regions: list[Region] | None = None
    evidence_level: EvidenceLevel | None = None
    root_cause_status: RootCauseStatus | None = None
    impact_level: ImpactLevel | None = None
    excess_alerts_per_day: Figure | None = None
    installations_affected: InstallationCount | None = None
    impact_rationale: Text | None = Field(default=None, max_length=TEXT_LIMITS["impact_rationale"])
    products: list[ProductIn] | None = None


class IssueQueryIn(StrictInput):
    """Search text, filters, sort and page of GET /api/issues (the list page's own fields)."""

    q: Text = Field(
        default="",
        max_length=200,
        description="Full text over titles, summaries, descriptions and statements",
    )
    state: IssueState | None = None
    category: Category | None = None
    region: Region | None = None
    manufacturer: Text | None = Field(
        default=None, description="4-hex identifier or part of a name"
    )
    model: Text | None = Field(default=None, description="8-hex model id or part of a name")
    firmware: Text | None = Field(default=None, description="8-hex firmware version")
    dmc: Text | None = Field(default=None, description="DMC identifier")
    evidence_level: EvidenceLevel | None = None
    impact_level: ImpactLevel | None = None
    root_cause_status: RootCauseStatus | None = None
    date_from: IsoDate | None = Field(default=None, description="Updated on or after (inclusive)")
    date_to: IsoDate | None = Field(default=None, description="Updated on or before (inclusive)")
    sort: Text = Field(
        default="-updated",
        description=(
            "-updated, updated, -created, created, -published, human_id, -impact, -evidence, "
            "relevance (with q)"
        ),
    )
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=25, ge=1, le=100)
