"""What a CSAF document is made from: a published issue as plain values, no Django.

`kir.exports.csaf_source` reads these from the register; `kir.exports.csaf` turns them into a
document. Keeping the two apart lets the property tests generate issues far stranger than the
demo's (unicode everywhere, hundreds of products, DMCs sharing members) without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Version:
    """A catalogue device version: one leaf of the product tree."""

    manufacturer_name: str
    manufacturer_id: str  # GBCS, 4 hex
    model_name: str
    model_id: str  # GBCS, 8 hex
    device_type: str
    hardware_version: str
    firmware_version: str

    @property
    def product_id(self) -> str:
        return (
            f"{self.manufacturer_id}-{self.model_id}"
            f"-HW{self.hardware_version}-FW{self.firmware_version}"
        )


@dataclass(frozen=True)
class Combination:
    """A DMC: its members are installed together."""

    identifier: str
    name: str
    members: tuple[Version, ...]


@dataclass(frozen=True)
class Affected:
    """One affected product of the issue: exactly one of `version` and `combination`."""

    status: str  # a kir.register.models.ProductStatus value
    version: Version | None = None
    combination: Combination | None = None
    first_fixed_firmware: str = ""


@dataclass(frozen=True)
class StatementText:
    """A statement in force (not superseded)."""

    kind: str  # a StatementKind value
    kind_label: str
    organisation: str
    created_at: datetime
    text: str
    challenged: bool = False


@dataclass(frozen=True)
class Revision:
    date: datetime
    summary: str


@dataclass(frozen=True)
class VendorInvolvement:
    organisation: str
    status: str  # an InvolvementStatus value: the CSAF vocabulary


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


@dataclass(frozen=True)
class CsafIssue:
    human_id: str
    title: str
    summary: str
    description: str
    category: str
    regions: tuple[str, ...]
    state: str  # an IssueState value; only public states have documents
    evidence_level: str
    root_cause_status: str
    impact_level: str
    impact_figures: tuple[Figure, ...]
    impact_rationale: str
    affected: tuple[Affected, ...]
    statements: tuple[StatementText, ...]
    # Oldest first; the first is the initial publication. Never empty.
    revisions: tuple[Revision, ...]
    vendors: tuple[VendorInvolvement, ...] = ()
    disputed: bool = False
    withdrawn: bool = False
    withdrawal_reason: str = ""


@dataclass(frozen=True)
class Publisher:
    name: str
    namespace: str  # an https URL naming the register
    contact_details: str
    base_url: str  # where the provider layout is served, for the document's self reference
