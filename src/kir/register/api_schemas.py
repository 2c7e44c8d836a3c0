"""Pydantic schemas of the register's JSON API (they also make its OpenAPI description)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from kir.catalogue.models import Region
from kir.register.models import (
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


class ErrorOut(Schema):
    detail: str
    # Every unmet condition of a refused transition, not just the first.
    reasons: list[str] = []
    # Field name -> messages, for validation failures.
    errors: dict[str, list[str]] = {}
    # On a version conflict: the version now saved, to reload and retry from.
    current_version: int | None = None


class IssueSummaryOut(Schema):
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
    def resolve_disputed(issue: Issue) -> bool:
        return issue.is_disputed

    @staticmethod
    def resolve_withdrawn(issue: Issue) -> bool:
        return issue.state == IssueState.WITHDRAWN


class IssuePageOut(Schema):
    items: list[IssueSummaryOut]
    total: int
    page: int
    pages: int
    page_size: int


class ProductOut(Schema):
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
        common = {"status": product.status, "first_fixed_firmware": product.first_fixed_firmware}
        version = product.device_version
        if version is None:
            return ProductOut(
                kind="dmc", dmc=product.dmc.identifier if product.dmc else None, **common
            )
        model = version.device_model
        return ProductOut(
            kind="device_version",
            manufacturer_id=model.manufacturer.identifier,
            model_id=model.model_id,
            model_name=model.name,
            hardware_version=version.hardware_version,
            firmware_version=version.firmware_version,
            **common,
        )


class StatementOut(Schema):
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
            kind=statement.kind,
            text=statement.text,
            organisation=str(statement.organisation),
            created_at=statement.created_at,
            supersedes=statement.supersedes_id,
            challenges=statement.challenges_id,
            superseded_by=later["superseded_by"].get(statement.pk, []),
            challenged_by=later["challenged_by"].get(statement.pk, []),
        )


class StateChangeOut(Schema):
    transition: str
    from_state: str
    to_state: str
    actor: str
    reason: str
    created_at: datetime


class InvolvementOut(Schema):
    organisation: str
    role: str
    status: str


class NoticeOut(Schema):
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


class ProductIn(Schema):
    """An affected product: a catalogue device version (by id) or a DMC (by identifier)."""

    device_version_id: int | None = None
    dmc: str | None = None
    status: ProductStatus = ProductStatus.UNDER_INVESTIGATION
    first_fixed_firmware: str = ""


class IssueCreateIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=2000)
    description: str = ""
    category: Category
    regions: list[Region] = []
    evidence_level: EvidenceLevel = EvidenceLevel.REPORTED
    impact_level: ImpactLevel = ImpactLevel.LOW
    excess_alerts_per_day: float | None = Field(default=None, ge=0)
    installations_affected: int | None = Field(default=None, ge=0)
    impact_rationale: str = ""
    products: list[ProductIn] = []


class TransitionIn(Schema):
    transition: str
    reason: str = ""
    expected_version: int | None = Field(
        default=None, description="The version you read; refused with 409 if it changed since"
    )


class StatementIn(Schema):
    kind: StatementKind
    text: str = Field(min_length=1, max_length=20000)
    supersedes: int | None = Field(default=None, description="Id of a statement this replaces")
    challenges: int | None = Field(default=None, description="Id of a statement this contests")


class ProcurementCheckIn(Schema):
    items: list[str] = Field(
        default=[],
        description=(
            "Descriptors: MANUFACTURER/MODEL, MANUFACTURER/MODEL/FIRMWARE (hex ids) "
            "or a DMC identifier"
        ),
    )
    device_version_ids: list[int] = []
    dmcs: list[str] = []


class ProcurementMatchOut(Schema):
    item: str
    issues: list[IssueSummaryOut]


class ProcurementCheckOut(Schema):
    results: list[ProcurementMatchOut]
    unrecognised: list[str] = []
