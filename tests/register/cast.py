"""A small cast for visibility tests: one organisation of every kind around one reported issue.

The reporting supplier reports; "Acme Metering" is the named manufacturer (its organisation speaks
for the catalogue manufacturer 1A2B whose model is affected); "Zed Devices" is a manufacturer with
nothing to do with the issue; DCC and SECAS oversee everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.catalogue.models import DMC, DeviceVersion
from kir.register.models import Issue, IssueState
from tests.factories import (
    AffectedProductFactory,
    DeviceModelFactory,
    DeviceVersionFactory,
    DMCFactory,
    IssueFactory,
    ManufacturerFactory,
    OrganisationFactory,
    UserFactory,
)

# (key, category) of every organisation in the cast, covering every SEC Party category; `reporter`
# reports the issues, "large_supplier" is a supplier of the same category that did not.
ORGANISATIONS = [
    ("reporter", PartyCategory.LARGE_SUPPLIER),
    ("large_supplier", PartyCategory.LARGE_SUPPLIER),
    ("small_supplier", PartyCategory.SMALL_SUPPLIER),
    ("electricity_network", PartyCategory.ELECTRICITY_NETWORK_OPERATOR),
    ("gas_network", PartyCategory.GAS_NETWORK_OPERATOR),
    ("other_party", PartyCategory.OTHER_SEC_PARTY),
    ("named_manufacturer", PartyCategory.MANUFACTURER),
    ("unrelated_manufacturer", PartyCategory.MANUFACTURER),
    ("dcc", PartyCategory.DCC),
    ("secas", PartyCategory.SECAS),
]

# Who sees an issue in each state (issue 3 #8); everyone sees the register states.
PRIVATE_AUDIENCE = {"reporter", "dcc", "secas"}
EVERYONE = {key for key, _ in ORGANISATIONS}
AUDIENCE: dict[str, set[str]] = {
    IssueState.DRAFT: PRIVATE_AUDIENCE,
    IssueState.UNDER_ASSESSMENT: PRIVATE_AUDIENCE,
    IssueState.MANUFACTURER_NOTIFIED: PRIVATE_AUDIENCE | {"named_manufacturer"},
    IssueState.PUBLISHED: EVERYONE,
    IssueState.RESOLVED: EVERYONE,
    IssueState.CLOSED: EVERYONE,
    IssueState.WITHDRAWN: EVERYONE,
    IssueState.REJECTED: PRIVATE_AUDIENCE,
}


@dataclass
class Cast:
    organisations: dict[str, Organisation]
    users: dict[str, User]
    affected_version: DeviceVersion
    other_version: DeviceVersion
    combination: DMC

    def user(self, key: str, role: str = Role.CONTRIBUTOR) -> User:
        if role == Role.CONTRIBUTOR:
            return self.users[key]
        return UserFactory(
            username=f"{key}-{role}", organisation=self.organisations[key], role=role
        )

    def issue(self, state: str, **fields: object) -> Issue:
        """An issue reported by `reporter` naming the Acme device version."""
        issue = IssueFactory(
            state=state,
            reporter_organisation=self.organisations["reporter"],
            created_by=self.users["reporter"],
            **fields,
        )
        AffectedProductFactory(issue=issue, device_version=self.affected_version)
        return issue


def build_cast() -> Cast:
    organisations = {
        key: OrganisationFactory(name=f"Cast {key.replace('_', ' ')}", category=category)
        for key, category in ORGANISATIONS
    }
    users = {
        key: UserFactory(username=f"cast-{key}", organisation=org, role=Role.CONTRIBUTOR)
        for key, org in organisations.items()
    }
    acme = ManufacturerFactory(
        identifier="1A2B", name="Acme Metering", organisation=organisations["named_manufacturer"]
    )
    ManufacturerFactory(
        identifier="9F9F", name="Zed Devices", organisation=organisations["unrelated_manufacturer"]
    )
    acme_model = DeviceModelFactory(manufacturer=acme, model_id="00012345", name="Acme Flex")
    affected = DeviceVersionFactory(device_model=acme_model, firmware_version="01020304")
    other = DeviceVersionFactory(
        device_model=DeviceModelFactory(model_id="00099999", name="Hub Nine"),
        firmware_version="0A000001",
    )
    combination = DMCFactory(identifier="DMC-0123456789AB", members=[affected, other])
    return Cast(organisations, users, affected, other, combination)
