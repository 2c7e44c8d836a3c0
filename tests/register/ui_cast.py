"""A cast for the UI and API tests: the seed's story's parties, and issues taken through the real
services to the state a test needs (so pages are tested against what the workflow produces)."""

from __future__ import annotations

from dataclasses import dataclass

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.catalogue.models import DeviceVersion
from kir.register.models import EvidenceLevel, ImpactLevel, Issue
from kir.register.services import issue_create_draft, issue_transition, manufacturer_acknowledge
from tests.factories import (
    DeviceModelFactory,
    DeviceVersionFactory,
    ManufacturerFactory,
    OrganisationFactory,
    UserFactory,
)


@dataclass
class UiCast:
    reporter: User
    reporter_viewer: User
    other_supplier: User
    manufacturer_user: User
    admin_a: User
    admin_b: User
    dcc: User
    manufacturer_org: Organisation
    version: DeviceVersion
    other_version: DeviceVersion

    def draft(self, **fields: object) -> Issue:
        values: dict[str, object] = {
            "title": "Repeated supply-restored alerts after a power cut",
            "summary": "Some installations send alert 8F35 every few seconds after power returns.",
            "description": "Seen in **North**.\n\n<script>alert(1)</script>",
            "category": "superfluous_alerts",
            "regions": ["north"],
            "evidence_level": EvidenceLevel.CORROBORATED,
            "impact_level": ImpactLevel.HIGH,
            "excess_alerts_per_day": 1200.0,
            "installations_affected": 340,
            "impact_rationale": "Measured over 14 days in CSP North.",
            "products": [{"device_version": self.version, "status": "known_affected"}],
        }
        values.update(fields)
        return issue_create_draft(actor=self.reporter, **values)  # type: ignore[arg-type]

    def step(self, issue: Issue, transition: str, actor: User, reason: str = "ok") -> Issue:
        return issue_transition(
            issue=issue,
            actor=actor,
            transition=transition,
            reason=reason,
            expected_version=issue.version,
        )

    def notified(self, **fields: object) -> Issue:
        issue = self.step(self.draft(**fields), "submit_for_assessment", self.reporter)
        return self.step(issue, "notify_manufacturer", self.admin_a)

    def published(self, **fields: object) -> Issue:
        issue = self.notified(**fields)
        manufacturer_acknowledge(issue=issue, actor=self.manufacturer_user)
        issue = self.step(issue, "propose_publication", self.admin_a)
        return self.step(issue, "publish", self.admin_b)


def make_ui_cast() -> UiCast:
    supplier = OrganisationFactory(name="Northern Energy", category=PartyCategory.LARGE_SUPPLIER)
    other = OrganisationFactory(name="Southern Power", category=PartyCategory.SMALL_SUPPLIER)
    maker_org = OrganisationFactory(name="Acme Metering", category=PartyCategory.MANUFACTURER)
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    maker = ManufacturerFactory(identifier="1A2B", name="Acme Meters", organisation=maker_org)
    model = DeviceModelFactory(manufacturer=maker, model_id="00012345", name="Acme E1")
    version = DeviceVersionFactory(device_model=model, firmware_version="01020304")
    other_model = DeviceModelFactory(model_id="00054321", name="Other G1")
    return UiCast(
        reporter=UserFactory(username="reporter", organisation=supplier, role=Role.CONTRIBUTOR),
        reporter_viewer=UserFactory(username="viewer", organisation=supplier, role=Role.VIEWER),
        other_supplier=UserFactory(username="other", organisation=other, role=Role.CONTRIBUTOR),
        manufacturer_user=UserFactory(
            username="maker", organisation=maker_org, role=Role.CONTRIBUTOR
        ),
        admin_a=UserFactory(username="admin-a", organisation=secas, role=Role.ADMINISTRATOR),
        admin_b=UserFactory(username="admin-b", organisation=secas, role=Role.ADMINISTRATOR),
        dcc=UserFactory(username="dcc", organisation=dcc, role=Role.COORDINATOR),
        manufacturer_org=maker_org,
        version=version,
        other_version=DeviceVersionFactory(device_model=other_model, firmware_version="0A0B0C0D"),
    )
