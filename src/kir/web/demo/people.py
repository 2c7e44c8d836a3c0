"""The demo's SEC Parties and their users: one of each kind the register serves.

Usernames are stable (`<organisation>-<role>`) because other demo data (the register's issues)
and the demo-server test look users up by them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.accounts.services import organisation_create, user_create, user_reset_password

# One password for every demo login; `kir demo seed` refuses to run unless settings.KIR_DEMO.
DEMO_PASSWORD = "kir-demo-2026"


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    category: PartyCategory
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: str
    role: Role
    is_staff: bool = False


ALL_ROLES = (Role.VIEWER, Role.CONTRIBUTOR, Role.COORDINATOR, Role.ADMINISTRATOR)

ORGANISATIONS = (
    DemoOrganisation("secas", "SECAS", PartyCategory.SECAS, ALL_ROLES),
    DemoOrganisation("dcc", "DCC", PartyCategory.DCC, ALL_ROLES),
    DemoOrganisation("brightwater", "Brightwater Energy", PartyCategory.LARGE_SUPPLIER, ALL_ROLES),
    DemoOrganisation(
        "heron",
        "Heron Power",
        PartyCategory.SMALL_SUPPLIER,
        (Role.VIEWER, Role.CONTRIBUTOR, Role.ADMINISTRATOR),
    ),
    DemoOrganisation(
        "pennine",
        "Pennine Electricity Networks",
        PartyCategory.ELECTRICITY_NETWORK_OPERATOR,
        (Role.VIEWER, Role.CONTRIBUTOR),
    ),
    DemoOrganisation(
        "meterix",
        "Meterix Metering Ltd",
        PartyCategory.MANUFACTURER,
        (Role.VIEWER, Role.CONTRIBUTOR, Role.ADMINISTRATOR),
    ),
    DemoOrganisation(
        "hubline",
        "Hubline Communications Ltd",
        PartyCategory.MANUFACTURER,
        (Role.VIEWER, Role.CONTRIBUTOR, Role.ADMINISTRATOR),
    ),
    DemoOrganisation(
        "homeview",
        "Homeview Devices Ltd",
        PartyCategory.MANUFACTURER,
        (Role.VIEWER, Role.CONTRIBUTOR, Role.ADMINISTRATOR),
    ),
)

# Plausible people, handed out in order to each organisation's roles.
_NAMES = [
    ("Alice", "Morgan"), ("Ben", "Okafor"), ("Chloe", "Price"), ("Dev", "Patel"),
    ("Emma", "Walsh"), ("Femi", "Adeyemi"), ("Grace", "Lindqvist"), ("Harry", "Nolan"),
    ("Isla", "Fraser"), ("Jamal", "Hussain"), ("Kate", "Brennan"), ("Liam", "Doherty"),
    ("Maya", "Chen"), ("Niall", "Byrne"), ("Olivia", "Shaw"), ("Priya", "Raman"),
    ("Rhys", "Evans"), ("Sofia", "Rossi"), ("Tom", "Whitaker"), ("Uma", "Kaur"),
    ("Victor", "Mensah"), ("Wendy", "Clarke"), ("Yusuf", "Ali"), ("Zoe", "Hart"),
    ("Aaron", "Fox"), ("Bethan", "Lloyd"), ("Callum", "Reid"), ("Daisy", "Marsh"),
]  # fmt: skip


def _demo_users() -> tuple[DemoUser, ...]:
    users = []
    names = iter(_NAMES)
    for organisation in ORGANISATIONS:
        for role in organisation.roles:
            first, last = next(names)
            users.append(
                DemoUser(
                    f"{organisation.slug}-{role.value}",
                    first,
                    last,
                    organisation.slug,
                    role,
                    is_staff=organisation.category == PartyCategory.SECAS
                    and role == Role.ADMINISTRATOR,
                )
            )
            if organisation.slug == "secas" and role == Role.ADMINISTRATOR:
                # Publication needs a second SECAS administrator who did not propose it.
                users.append(
                    DemoUser("secas-approver", "Ruth", "Ellison", "secas", role, is_staff=True)
                )
    return tuple(users)


USERS = _demo_users()


def _seed_organisation(spec: DemoOrganisation) -> tuple[Organisation, bool]:
    existing = Organisation.objects.filter(slug=spec.slug).first()
    if existing is not None:
        return existing, False
    organisation = organisation_create(
        actor=None,
        slug=spec.slug,
        name=spec.name,
        category=spec.category,
        contact_email=f"register@{spec.slug}.example",
    )
    return organisation, True


def _seed_user(spec: DemoUser, organisation: Organisation) -> tuple[User, bool]:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        created = user_create(
            actor=None,
            username=spec.username,
            organisation=organisation,
            role=spec.role,
            password=DEMO_PASSWORD,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@{organisation.slug}.example",
            is_staff=spec.is_staff,
        )
        return created, True
    # Checked rather than set blindly: a new salt on every run would make a re-run write rows.
    if not user.check_password(DEMO_PASSWORD):
        user_reset_password(user=user, new_password=DEMO_PASSWORD, actor=None)
    return user, False


@dataclass
class PeopleSummary:
    organisations_created: int = 0
    users_created: int = 0


@transaction.atomic
def seed_people() -> PeopleSummary:
    summary = PeopleSummary()
    organisations = {}
    for org_spec in ORGANISATIONS:
        organisations[org_spec.slug], created = _seed_organisation(org_spec)
        summary.organisations_created += created
    for user_spec in USERS:
        _, created = _seed_user(user_spec, organisations[user_spec.organisation])
        summary.users_created += created
    return summary
