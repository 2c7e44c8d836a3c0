"""Catalogue writes: upserts that know when nothing changed, DMCs with one id per combination."""

from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory
from kir.audit.models import AuditEvent
from kir.catalogue.models import DMC, DeviceType
from kir.catalogue.services import (
    CatalogueError,
    device_model_upsert,
    device_version_upsert,
    dmc_get_or_create,
    dmc_update,
    manufacturer_link_organisation,
    manufacturer_upsert,
)
from kir.identifiers import dmc_identifier
from tests.factories import (
    DeviceModelFactory,
    DeviceVersionFactory,
    ManufacturerFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


def verbs() -> list[str]:
    return list(AuditEvent.objects.values_list("verb", flat=True))


def test_it_creates_then_leaves_a_manufacturer_alone(secas_admin):
    maker, outcome = manufacturer_upsert(identifier="10a5", name="Meterix", actor=secas_admin)
    assert (maker.identifier, outcome) == ("10A5", "created")
    again, outcome = manufacturer_upsert(identifier="10-A5", name="Meterix", actor=secas_admin)
    assert (again.pk, outcome) == (maker.pk, "unchanged")
    assert verbs() == ["catalogue.manufacturer_created"]


def test_it_records_a_rename_with_before_and_after(secas_admin):
    manufacturer_upsert(identifier="10A5", name="Meterix", actor=None)
    _, outcome = manufacturer_upsert(identifier="10A5", name="Meterix Ltd", actor=secas_admin)
    assert outcome == "changed"
    event = AuditEvent.objects.get(verb="catalogue.manufacturer_changed")
    assert event.actor == secas_admin
    assert event.data["before"] == {"name": "Meterix"}
    assert event.data["after"] == {"name": "Meterix Ltd"}


def test_it_links_only_a_manufacturer_organisation(secas_admin):
    maker = ManufacturerFactory()
    supplier = OrganisationFactory(category=PartyCategory.LARGE_SUPPLIER)
    with pytest.raises(CatalogueError, match="not a manufacturer organisation"):
        manufacturer_link_organisation(manufacturer=maker, organisation=supplier, actor=None)
    org = OrganisationFactory(category=PartyCategory.MANUFACTURER)
    assert manufacturer_link_organisation(manufacturer=maker, organisation=org, actor=None) == (
        "changed"
    )
    assert manufacturer_link_organisation(manufacturer=maker, organisation=org, actor=None) == (
        "unchanged"
    )
    maker.refresh_from_db()
    assert maker.organisation == org
    assert verbs().count("catalogue.manufacturer_organisation_changed") == 1


def test_it_refuses_to_change_a_models_device_type():
    model = DeviceModelFactory(device_type=DeviceType.ESME)
    with pytest.raises(CatalogueError, match="is recorded as ESME, not GSME"):
        device_model_upsert(
            manufacturer=model.manufacturer,
            model_id=model.model_id,
            device_type=DeviceType.GSME,
            name=model.name,
            smets_version=model.smets_version,
            actor=None,
        )


def test_it_normalises_version_identifiers_and_keeps_entry_ids_unique():
    model = DeviceModelFactory()
    version, outcome = device_version_upsert(
        device_model=model,
        hardware_version="0a01",
        firmware_version="0002-0104",
        cpl_entry_id="CPL-1",
        actor=None,
    )
    assert outcome == "created"
    assert (version.hardware_version, version.firmware_version) == ("0A01", "00020104")
    with pytest.raises(CatalogueError, match="CPL entry CPL-1 already belongs to"):
        device_version_upsert(
            device_model=model,
            hardware_version="0A01",
            firmware_version="00020200",
            cpl_entry_id="CPL-1",
            actor=None,
        )


def test_it_adopts_an_entry_id_for_a_version_recorded_without_one():
    version = DeviceVersionFactory(cpl_entry_id=None)
    same, outcome = device_version_upsert(
        device_model=version.device_model,
        hardware_version=version.hardware_version,
        firmware_version=version.firmware_version,
        cpl_entry_id="CPL-77",
        actor=None,
    )
    assert (same.pk, same.cpl_entry_id, outcome) == (version.pk, "CPL-77", "changed")


def test_it_gives_one_combination_one_dmc_whatever_the_order(secas_admin):
    members = [DeviceVersionFactory(device_model__device_type=t) for t in ("CHF", "ESME", "IHD")]
    dmc, created = dmc_get_or_create(members=members, actor=secas_admin, regions=["south"])
    assert created
    assert dmc.identifier == dmc_identifier(m.component() for m in members)
    same, created = dmc_get_or_create(
        members=[members[2], members[0], members[1], members[0]], actor=secas_admin
    )
    assert (same.pk, created) == (dmc.pk, False)
    assert DMC.objects.count() == 1
    assert set(dmc.members.all()) == set(members)
    event = AuditEvent.objects.get(verb="catalogue.dmc_created")
    assert event.data["after"]["identifier"] == dmc.identifier
    assert len(event.data["after"]["members"]) == 3


def test_it_gives_a_different_combination_a_different_dmc():
    hub, meter, other_meter = (DeviceVersionFactory() for _ in range(3))
    first, _ = dmc_get_or_create(members=[hub, meter], actor=None)
    second, _ = dmc_get_or_create(members=[hub, other_meter], actor=None)
    assert first.identifier != second.identifier


def test_it_adds_new_regions_to_an_existing_dmc_and_records_it():
    members = [DeviceVersionFactory(), DeviceVersionFactory()]
    dmc_get_or_create(members=members, actor=None, regions=["south"])
    dmc, _ = dmc_get_or_create(members=members, actor=None, regions=["central", "south"])
    assert dmc.regions == ["central", "south"]
    event = AuditEvent.objects.get(verb="catalogue.dmc_changed")
    assert event.data["before"] == {"regions": ["south"]}
    before = AuditEvent.objects.count()
    dmc_get_or_create(members=members, actor=None, regions=["south"])
    assert AuditEvent.objects.count() == before


def test_it_refuses_an_unknown_region():
    with pytest.raises(CatalogueError, match="unknown region west"):
        dmc_get_or_create(members=[DeviceVersionFactory()], actor=None, regions=["west"])
    assert DMC.objects.count() == 0


def test_it_renames_a_dmc_without_touching_its_identity(secas_admin):
    dmc, _ = dmc_get_or_create(members=[DeviceVersionFactory()], actor=None, name="old")
    identifier = dmc.identifier
    assert dmc_update(dmc=dmc, actor=secas_admin, name="new", regions=["north"]) == "changed"
    dmc.refresh_from_db()
    assert (dmc.identifier, dmc.name, dmc.regions) == (identifier, "new", ["north"])
    assert dmc_update(dmc=dmc, actor=secas_admin, name="new", regions=["north"]) == "unchanged"
