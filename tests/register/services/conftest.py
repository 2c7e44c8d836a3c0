"""A world for the register services: organisations of each kind, users by role, a catalogue.

`World.advance(issue, state)` drives an issue through the real services (so the audit chain,
notices and publication records are the ones production makes) to any state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.catalogue.models import DeviceVersion
from kir.register import services
from kir.register.models import (
    Category,
    EvidenceLevel,
    ImpactLevel,
    Issue,
    IssueState,
    ManufacturerNotice,
)
from tests.factories import (
    DeviceModelFactory,
    DeviceVersionFactory,
    ManufacturerFactory,
    OrganisationFactory,
    UserFactory,
)

# The states in the order the happy path reaches them, and the step that reaches each.
PATH: dict[str, list[str]] = {
    IssueState.DRAFT: [],
    IssueState.UNDER_ASSESSMENT: ["submit_for_assessment"],
    IssueState.MANUFACTURER_NOTIFIED: ["submit_for_assessment", "notify_manufacturer"],
    IssueState.PUBLISHED: ["submit_for_assessment", "notify_manufacturer", "publish"],
    IssueState.RESOLVED: ["submit_for_assessment", "notify_manufacturer", "publish", "resolve"],
    IssueState.CLOSED: [
        "submit_for_assessment",
        "notify_manufacturer",
        "publish",
        "resolve",
        "close",
    ],
    IssueState.WITHDRAWN: ["submit_for_assessment", "notify_manufacturer", "publish", "withdraw"],
    IssueState.REJECTED: ["reject"],
}

# Persona key -> (organisation key, role).
PERSONAS: dict[str, tuple[str, str]] = {
    "reporter_contributor": ("reporter", Role.CONTRIBUTOR),
    "reporter_viewer": ("reporter", Role.VIEWER),
    "other_supplier_contributor": ("other_supplier", Role.CONTRIBUTOR),
    "manufacturer_contributor": ("manufacturer", Role.CONTRIBUTOR),
    "dcc_contributor": ("dcc", Role.CONTRIBUTOR),
    "dcc_coordinator": ("dcc", Role.COORDINATOR),
    "secas_viewer": ("secas", Role.VIEWER),
    "secas_coordinator": ("secas", Role.COORDINATOR),
    "secas_admin": ("secas", Role.ADMINISTRATOR),
}


@dataclass
class World:
    organisations: dict[str, Organisation]
    users: dict[str, User]
    version: DeviceVersion
    second_version: DeviceVersion
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def admin(self) -> User:
        return self.users["secas_admin"]

    @property
    def second_admin(self) -> User:
        return self.users["secas_admin_2"]

    @property
    def reporter(self) -> User:
        return self.users["reporter_contributor"]

    @property
    def maker(self) -> User:
        return self.users["manufacturer_contributor"]

    def draft(self, **overrides: Any) -> Issue:
        fields: dict[str, Any] = {
            "title": "Repeated supply-restored alerts after a firmware change",
            "summary": "Some installations send alert 8F35 many times a minute.",
            "description": "Seen in the North region since March.",
            "category": Category.SUPERFLUOUS_ALERTS,
            "regions": ["north"],
            "products": [{"device_version": self.version, "status": "known_affected"}],
            "evidence_level": EvidenceLevel.CORROBORATED,
            "impact_level": ImpactLevel.HIGH,
        }
        fields.update(overrides)
        return services.issue_create_draft(actor=self.reporter, **fields)

    def take(self, issue: Issue, step: str, actor: User | None = None, reason: str = "") -> Issue:
        """Take `step`, first doing what it needs (the manufacturer's reply, a proposal)."""
        if step in ("propose_publication", "publish"):
            services.manufacturer_acknowledge(issue=issue, actor=self.maker)
        if step == "publish" and services.pending_proposal(issue) is None:
            self.take(issue, "propose_publication")
        if step == "publish":
            actor = actor or self.second_admin
        if actor is None:
            actor = self.reporter if step == "submit_for_assessment" else self.admin
        return services.issue_transition(
            issue=issue,
            actor=actor,
            transition=step,
            reason=reason or f"Because: {step}",
            expected_version=Issue.objects.get(pk=issue.pk).version,
        )

    def advance(self, issue: Issue, state: str) -> Issue:
        for step in PATH[state]:
            issue = self.take(issue, step)
        assert issue.state == state
        return issue

    def issue_in(self, state: str, **overrides: Any) -> Issue:
        return self.advance(self.draft(**overrides), state)


def expire_notices(issue: Issue) -> None:
    """Move every notice on the issue into the past, so its notice period has run out."""
    from datetime import date

    ManufacturerNotice.objects.filter(issue=issue).update(respond_by=date(2000, 1, 3))


def build_world() -> World:
    categories = {
        "reporter": PartyCategory.LARGE_SUPPLIER,
        "other_supplier": PartyCategory.SMALL_SUPPLIER,
        "manufacturer": PartyCategory.MANUFACTURER,
        "dcc": PartyCategory.DCC,
        "secas": PartyCategory.SECAS,
    }
    organisations = {
        key: OrganisationFactory(name=f"World {key}", category=category)
        for key, category in categories.items()
    }
    users = {
        persona: UserFactory(username=f"w-{persona}", organisation=organisations[org], role=role)
        for persona, (org, role) in PERSONAS.items()
    }
    users["secas_admin_2"] = UserFactory(
        username="w-secas_admin_2", organisation=organisations["secas"], role=Role.ADMINISTRATOR
    )
    acme = ManufacturerFactory(
        identifier="1A2B", name="Acme Meters Ltd", organisation=organisations["manufacturer"]
    )
    model = DeviceModelFactory(manufacturer=acme, model_id="00012345", name="Acme Flex")
    version = DeviceVersionFactory(device_model=model, firmware_version="01020304")
    second = DeviceVersionFactory(device_model=model, firmware_version="01020305")
    return World(organisations, users, version, second)


@pytest.fixture
def world(db) -> World:
    return build_world()
