"""`kir demo seed`: the demo's data, loaded twice without changing anything, never in production."""

from __future__ import annotations

import io
import sys
import types
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.audit.models import AuditEvent
from kir.audit.services import audit_verify_chain
from kir.catalogue.models import DMC, DeviceModel, DeviceType, DeviceVersion, Manufacturer, Region
from kir.identifiers import dmc_identifier
from kir.web.demo.people import DEMO_PASSWORD, USERS
from kir.web.demo.seed import register_seeder

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("demo", "seed", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organisation, User, Manufacturer, DeviceModel, DeviceVersion, DMC, AuditEvent)
    }


@pytest.fixture
def demo_on(settings):
    settings.KIR_DEMO = True


def test_it_is_idempotent(demo_on):
    seed()
    first = counts()
    passwords = dict(User.objects.values_list("username", "password"))
    output = seed()
    assert counts() == first
    # Not even the password hashes are rewritten by the second run.
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "0 organisations and 0 users created" in output
    assert "0 created, 0 changed, 30 unchanged" in output
    assert audit_verify_chain().ok


def test_it_refuses_without_kir_demo(settings):
    settings.KIR_DEMO = False
    with pytest.raises(CommandError, match="KIR_DEMO is not on"):
        seed()
    assert User.objects.count() == 0


def test_it_creates_every_kind_of_party(demo_on):
    seed()
    categories = Counter(Organisation.objects.values_list("category", flat=True))
    assert categories == {
        PartyCategory.SECAS: 1,
        PartyCategory.DCC: 1,
        PartyCategory.LARGE_SUPPLIER: 1,
        PartyCategory.SMALL_SUPPLIER: 1,
        PartyCategory.ELECTRICITY_NETWORK_OPERATOR: 1,
        PartyCategory.MANUFACTURER: 3,
    }


def test_it_creates_two_staff_secas_administrators(demo_on):
    seed()
    admins = User.objects.filter(
        organisation__category=PartyCategory.SECAS, role=Role.ADMINISTRATOR
    )
    assert admins.count() == 2
    assert all(admin.is_staff for admin in admins)
    assert not User.objects.filter(is_staff=True).exclude(pk__in=admins).exists()


def test_it_gives_every_user_the_demo_password_and_every_role_somewhere(demo_on):
    seed()
    users = User.objects.select_related("organisation")
    assert sorted(u.username for u in users) == sorted(u.username for u in USERS)
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    assert set(users.values_list("role", flat=True)) == set(Role.values)
    for category in (PartyCategory.SECAS, PartyCategory.DCC, PartyCategory.LARGE_SUPPLIER):
        roles = users.filter(organisation__category=category).values_list("role", flat=True)
        assert set(roles) == set(Role.values), category


def test_it_prints_every_login_and_the_password(demo_on):
    output = seed()
    assert f"password for all: {DEMO_PASSWORD}" in output
    for user in USERS:
        assert user.username in output


def test_it_links_each_manufacturer_to_its_organisation(demo_on):
    seed()
    manufacturers = Manufacturer.objects.select_related("organisation")
    assert manufacturers.count() == 3
    for manufacturer in manufacturers:
        assert manufacturer.organisation is not None
        assert manufacturer.organisation.category == PartyCategory.MANUFACTURER
        assert len(manufacturer.identifier) == 4


def test_it_covers_every_device_type(demo_on):
    seed()
    assert 25 <= DeviceVersion.objects.count() <= 35
    types = set(DeviceModel.objects.values_list("device_type", flat=True))
    assert types == set(DeviceType.values)


def test_its_dmcs_cover_every_region_with_region_specific_hubs(demo_on):
    seed()
    assert DMC.objects.count() == 20
    hub_regions: dict[int, set[str]] = {}
    for dmc in DMC.objects.prefetch_related("members__device_model__manufacturer"):
        members = list(dmc.members.all())
        assert dmc.identifier == dmc_identifier(m.component() for m in members)
        assert dmc.regions
        hubs = [m for m in members if m.device_model.device_type == DeviceType.CHF]
        assert len(hubs) == 1
        hub_regions.setdefault(hubs[0].device_model_id, set()).update(dmc.regions)
    assert set().union(*hub_regions.values()) == set(Region.values)
    # A hub model serves North or Central/South, never both sides.
    for regions in hub_regions.values():
        assert regions == {Region.NORTH} or Region.NORTH not in regions


def test_it_calls_the_register_demo_after_its_own_data(demo_on, monkeypatch):
    calls = []

    def seed_register_demo():
        # The register's issues need the demo's users and catalogue to exist already.
        calls.append((User.objects.count(), DMC.objects.count()))
        return "3 issues created"

    stand_in = types.ModuleType("kir.register.demo")
    stand_in.seed_register_demo = seed_register_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kir.register.demo", stand_in)
    output = seed()
    assert calls == [(len(USERS), 20)]
    assert "Register demo issues: 3 issues created" in output


def test_it_tolerates_a_register_demo_module_without_a_seeder(demo_on, monkeypatch):
    monkeypatch.setitem(sys.modules, "kir.register.demo", types.ModuleType("kir.register.demo"))
    assert register_seeder() is None
    assert "Register demo issues: not available" in seed()
