"""Bulk register data for benchmarks: N issues with M affected products each, in seconds.

Not product code: rows go in with bulk_create, bypassing the services (no audit events, no
notices), and the search index is then built in one pass with kir.search.index.reindex_all().
Call `generate_register()` with Django set up on an empty register (benchmarks/register_search.py
does), or run this file to fill the database KIR_DATABASE_URL points at:

    KIR_INSECURE_TEST_KEY=1 .venv/bin/python benchmarks/register_data.py --issues 20000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

STATE_WEIGHTS = {
    "published": 60,
    "resolved": 12,
    "closed": 8,
    "withdrawn": 3,
    "draft": 5,
    "under_assessment": 5,
    "manufacturer_notified": 4,
    "rejected": 3,
}
SYMPTOMS = [
    "Repeated supply outage alerts",
    "Connect and disconnect flapping",
    "Clock adjusted alerts after time synchronisation",
    "Firmware upgrade activation fails",
    "Prepayment credit not applied after top-up",
    "Comms hub loses HAN connection",
    "Gas proxy function stops responding",
    "Tamper alerts without physical interference",
    "Load limit alerts storm",
    "Meter display blank after power cycle",
    "Tariff switching at the wrong time",
    "Join failures between in-home display and meter",
]
CONTEXTS = [
    "in dense urban installations",
    "after a firmware change",
    "under weak mesh coverage",
    "when the battery is low",
    "during daylight saving changes",
    "after a comms hub replacement",
    "on prepayment installations",
    "in multi-occupancy buildings",
]
BATCH = 2000
REPORTERS = ("supplier", "small_supplier", "network")
REGISTER_STATES = frozenset({"published", "resolved", "closed", "withdrawn"})
PUBLISHED_FROM = datetime(2023, 1, 1, tzinfo=UTC)


def _published_at(rng: random.Random) -> datetime:
    return PUBLISHED_FROM + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))


@dataclass
class RegisterData:
    """What was made, with samples a benchmark can query for."""

    issues: int = 0
    products: int = 0
    statements: int = 0
    seconds: float = 0.0
    users: dict[str, Any] = field(default_factory=dict)
    model_items: list[tuple[str, str, str]] = field(default_factory=list)
    dmc_identifiers: list[str] = field(default_factory=list)
    search_terms: list[str] = field(default_factory=lambda: ["flapping", "firmware upgrade"])


def _organisations_and_users(data: RegisterData) -> dict[str, Any]:
    from kir.accounts.models import Organisation, PartyCategory, Role, User

    made: dict[str, Any] = {}
    for key, category in [
        ("supplier", PartyCategory.LARGE_SUPPLIER),
        ("small_supplier", PartyCategory.SMALL_SUPPLIER),
        ("network", PartyCategory.ELECTRICITY_NETWORK_OPERATOR),
        ("dcc", PartyCategory.DCC),
        ("secas", PartyCategory.SECAS),
    ]:
        organisation, _ = Organisation.objects.get_or_create(
            slug=f"bench-{key.replace('_', '-')}",
            defaults={"name": f"Bench {key}", "category": category},
        )
        user, _ = User.objects.get_or_create(
            username=f"bench-{key}",
            defaults={"organisation": organisation, "role": Role.CONTRIBUTOR},
        )
        made[key] = organisation
        data.users[key] = user
    return made


def _catalogue(
    rng: random.Random, manufacturers: int, models_each: int, versions_each: int
) -> Catalogue:
    """Manufacturers (each with an organisation), models, versions and 3-member DMCs."""
    from kir.accounts.models import Organisation, PartyCategory
    from kir.catalogue.models import DMC, DeviceModel, DeviceType, DeviceVersion, Manufacturer

    makers = []
    for n in range(manufacturers):
        organisation, _ = Organisation.objects.get_or_create(
            slug=f"bench-maker-{n}",
            defaults={"name": f"Bench Maker {n}", "category": PartyCategory.MANUFACTURER},
        )
        maker, _ = Manufacturer.objects.get_or_create(
            identifier=f"{0xB000 + n:04X}",
            defaults={"name": f"Bench Meters {n}", "organisation": organisation},
        )
        makers.append(maker)
    types = [DeviceType.ESME, DeviceType.GSME, DeviceType.CHF, DeviceType.PPMID]
    models = DeviceModel.objects.bulk_create(
        DeviceModel(
            manufacturer=maker,
            model_id=f"{0xBE000000 + i * models_each + j:08X}",
            device_type=types[j % len(types)],
            name=f"Bench {types[j % len(types)]} {i}-{j}",
        )
        for i, maker in enumerate(makers)
        for j in range(models_each)
    )
    versions = DeviceVersion.objects.bulk_create(
        DeviceVersion(
            device_model=model,
            hardware_version="0001",
            firmware_version=f"{0x01000000 + k:08X}",
        )
        for model in models
        for k in range(versions_each)
    )
    dmcs = DMC.objects.bulk_create(
        DMC(identifier=f"DMC-BE{n:010X}", name=f"Bench combination {n}", regions=["north"])
        for n in range(len(versions) // 4)
    )
    through = DMC.members.through
    memberships = [(dmc, version) for dmc in dmcs for version in rng.sample(versions, 3)]
    through.objects.bulk_create(
        through(dmc_id=dmc.pk, deviceversion_id=version.pk) for dmc, version in memberships
    )
    return Catalogue(versions, dmcs, memberships)


@dataclass
class Catalogue:
    versions: list[Any]
    dmcs: list[Any]
    memberships: list[tuple[Any, Any]]
    by_model: dict[int, list[Any]] = field(default_factory=dict)
    containing: dict[int, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for version in self.versions:
            self.by_model.setdefault(version.device_model_id, []).append(version)
        for dmc, version in self.memberships:
            self.containing.setdefault(version.pk, []).append(dmc)

    def products_of_one_issue(self, rng: random.Random, count: int) -> list[tuple[Any, Any]]:
        """(device_version, dmc) pairs clustered as real issues are: several firmware versions
        of one model, then DMCs containing them, topped up with other DMCs."""
        model_versions = self.by_model[rng.choice(list(self.by_model))]
        chosen = rng.sample(model_versions, rng.randint(1, min(count, len(model_versions))))
        pairs: list[tuple[Any, Any]] = [(version, None) for version in chosen]
        candidates = {d.pk: d for v in chosen for d in self.containing.get(v.pk, [])}
        for dmc in list(candidates.values())[: count - len(pairs)]:
            pairs.append((None, dmc))
        while len(pairs) < count:
            dmc = rng.choice(self.dmcs)
            if dmc.pk not in candidates:
                candidates[dmc.pk] = dmc
                pairs.append((None, dmc))
        return pairs


def _issue_rows(
    rng: random.Random, first: int, count: int, organisations: dict[str, Any], user: Any
) -> list[Any]:
    from kir.register.models import Category, EvidenceLevel, ImpactLevel, Issue

    states = rng.choices(list(STATE_WEIGHTS), weights=list(STATE_WEIGHTS.values()), k=count)
    # Issues come from several Parties, not all from the benchmark's own supplier: it sees its own
    # drafts, not the others'. Issues that reached the register were published at some point.
    reporters = [organisations[key] for key in REPORTERS]
    regions = ["north", "central", "south"]
    # TextChoices.values builds a new list on every access: read each once.
    categories, evidence, impacts = Category.values, EvidenceLevel.values, ImpactLevel.values
    rows = []
    for n, state in enumerate(states, start=first):
        symptom, context = rng.choice(SYMPTOMS), rng.choice(CONTEXTS)
        rows.append(
            Issue(
                human_id=f"KIR-2025-{n:05d}",
                title=f"{symptom} {context}",
                summary=f"{symptom} reported {context}; rates above the regional baseline.",
                description=f"Observed by several Parties.\n\n*{context.capitalize()}*.",
                category=rng.choice(categories),
                regions=rng.sample(regions, rng.randint(1, 3)),
                state=state,
                evidence_level=rng.choice(evidence),
                impact_level=rng.choice(impacts),
                reporter_organisation=rng.choice(reporters),
                created_by=user,
                published_at=_published_at(rng) if state in REGISTER_STATES else None,
            )
        )
    return rows


def generate_register(
    *,
    issues: int = 20_000,
    products_per_issue: int = 10,
    seed: int = 20260101,
    manufacturers: int = 40,
    models_each: int = 25,
    versions_each: int = 8,
) -> RegisterData:
    """Fill an empty register: `issues` issues, `issues * products_per_issue` affected products."""
    from django.db import connection, transaction

    from kir.register.models import AffectedProduct, Issue, ProductStatus, Statement
    from kir.search.index import reindex_all

    started = time.perf_counter()
    rng = random.Random(seed)
    statuses = ProductStatus.values
    data = RegisterData()
    with transaction.atomic():
        organisations = _organisations_and_users(data)
        catalogue = _catalogue(rng, manufacturers, models_each, versions_each)
        user = data.users["supplier"]
        for start in range(0, issues, BATCH):
            made = Issue.objects.bulk_create(
                _issue_rows(rng, start + 1, min(BATCH, issues - start), organisations, user)
            )
            products = [
                AffectedProduct(
                    issue=issue,
                    device_version=version,
                    dmc=dmc,
                    status=rng.choice(statuses),
                )
                for issue in made
                for version, dmc in catalogue.products_of_one_issue(rng, products_per_issue)
            ]
            AffectedProduct.objects.bulk_create(products, batch_size=5000)
            statements = [
                Statement(
                    issue=issue,
                    kind="observation",
                    text=f"Alert rates {rng.randint(2, 40)} times the regional baseline.",
                    organisation=organisations["supplier"],
                    author=user,
                )
                for issue in made
                if rng.random() < 0.3
            ]
            Statement.objects.bulk_create(statements)
            data.products += len(products)
            data.statements += len(statements)
        data.issues = reindex_all()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    data.model_items = [
        (v.device_model.manufacturer.identifier, v.device_model.model_id, v.firmware_version)
        for v in rng.sample(catalogue.versions, 20)
    ]
    data.dmc_identifiers = [dmc.identifier for dmc in rng.sample(catalogue.dmcs, 10)]
    data.seconds = time.perf_counter() - started
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=10, help="affected products per issue")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kir.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    data = generate_register(issues=args.issues, products_per_issue=args.products)
    print(
        f"{data.issues} issues, {data.products} affected products, {data.statements} statements "
        f"in {data.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
