"""The catalogue admin: SECAS administrators only, writes through the audited services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kir.accounts.models import PartyCategory
from kir.audit.models import AuditEvent
from kir.catalogue.models import DeviceVersion, Manufacturer
from kir.catalogue.services import dmc_get_or_create
from tests.factories import DeviceVersionFactory, ManufacturerFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, secas_admin):
    secas_admin.is_staff = True
    secas_admin.save()
    client.force_login(secas_admin)
    return client


@pytest.mark.parametrize("model", ["manufacturer", "devicemodel", "deviceversion", "dmc"])
def test_it_lists_each_catalogue_model_for_secas_administrators(admin_client, model):
    DeviceVersionFactory()
    response = admin_client.get(reverse(f"admin:catalogue_{model}_changelist"))
    assert response.status_code == 200


def test_it_keeps_other_staff_out(client, supplier_user):
    supplier_user.is_staff = True
    supplier_user.save()
    client.force_login(supplier_user)
    response = client.get(reverse("admin:catalogue_manufacturer_changelist"))
    assert response.status_code in (302, 403)


def test_it_creates_a_manufacturer_linked_to_its_organisation_with_an_audit_event(
    admin_client, secas_admin
):
    org = OrganisationFactory(name="Meterix", category=PartyCategory.MANUFACTURER)
    response = admin_client.post(
        reverse("admin:catalogue_manufacturer_add"),
        {"identifier": "10-a5", "name": "Meterix Metering Ltd", "organisation": org.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    maker = Manufacturer.objects.get()
    assert (maker.identifier, maker.organisation) == ("10A5", org)
    events = AuditEvent.objects.filter(actor=secas_admin).values_list("verb", flat=True)
    assert list(events) == [
        "catalogue.manufacturer_created",
        "catalogue.manufacturer_organisation_changed",
    ]


def test_it_offers_only_manufacturer_organisations(admin_client):
    OrganisationFactory(name="Brightwater", category=PartyCategory.LARGE_SUPPLIER)
    response = admin_client.post(
        reverse("admin:catalogue_manufacturer_add"),
        {"identifier": "10A5", "name": "Meterix", "organisation": 1},
    )
    assert response.status_code == 200
    assert Manufacturer.objects.count() == 0


def test_it_rejects_a_bad_identifier_with_the_reason(admin_client):
    response = admin_client.post(
        reverse("admin:catalogue_manufacturer_add"), {"identifier": "XYZ", "name": "Meterix"}
    )
    assert response.status_code == 200
    assert "manufacturer identifier: expected 4 hex digits" in response.content.decode()


def test_it_changes_a_versions_cpl_status_through_the_service(admin_client, secas_admin):
    version = DeviceVersionFactory()
    url = reverse("admin:catalogue_deviceversion_change", args=[version.pk])
    response = admin_client.post(
        url,
        {
            "cpl_entry_id": version.cpl_entry_id,
            "cpl_status": "withdrawn",
            "cpl_listed_on": "2023-01-02",
            "cpl_removed_on": "2024-05-06",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    version.refresh_from_db()
    assert version.cpl_status == "withdrawn"
    event = AuditEvent.objects.get(verb="catalogue.device_version_changed")
    assert event.actor == secas_admin
    assert event.data["after"]["cpl_status"] == "withdrawn"
    assert DeviceVersion.objects.count() == 1


def test_it_never_deletes_catalogue_rows(admin_client):
    maker = ManufacturerFactory()
    response = admin_client.get(reverse("admin:catalogue_manufacturer_delete", args=[maker.pk]))
    assert response.status_code == 403


def test_it_renames_a_dmc_but_cannot_add_one(admin_client, secas_admin):
    dmc, _ = dmc_get_or_create(members=[DeviceVersionFactory()], actor=None)
    assert admin_client.get(reverse("admin:catalogue_dmc_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:catalogue_dmc_change", args=[dmc.pk]),
        {"name": "Flat 3 set-up", "regions": ["north", "central"]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dmc.refresh_from_db()
    assert (dmc.name, dmc.regions) == ("Flat 3 set-up", ["north", "central"])
    assert AuditEvent.objects.filter(verb="catalogue.dmc_changed", actor=secas_admin).exists()
    assert dmc.members.count() == 1


def test_it_shows_identities_read_only_on_change_pages(admin_client):
    version = DeviceVersionFactory()
    dmc, _ = dmc_get_or_create(members=[version], actor=None)
    model = version.device_model
    pages = {
        "manufacturer": model.manufacturer.pk,
        "devicemodel": model.pk,
        "deviceversion": version.pk,
        "dmc": dmc.pk,
    }
    for name, pk in pages.items():
        response = admin_client.get(reverse(f"admin:catalogue_{name}_change", args=[pk]))
        assert response.status_code == 200, name
        form = response.context["adminform"].form
        assert not {"identifier", "model_id", "firmware_version"} & set(form.fields), name
