"""Catalogue pages: signed-in only, searchable, accessible markup."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kir.catalogue.models import CplStatus
from kir.catalogue.services import dmc_get_or_create
from tests.factories import DeviceModelFactory, DeviceVersionFactory, ManufacturerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    meterix = ManufacturerFactory(identifier="10A5", name="Meterix Metering Ltd")
    hubline = ManufacturerFactory(identifier="1D2F", name="Hubline Communications Ltd")
    meter = DeviceModelFactory(
        manufacturer=meterix, model_id="0001A2F3", device_type="ESME", name="Meterix E470"
    )
    gas = DeviceModelFactory(
        manufacturer=meterix, model_id="0002B140", device_type="GSME", name="Meterix G260"
    )
    hub = DeviceModelFactory(
        manufacturer=hubline, model_id="00C1B001", device_type="CHF", name="Hubline CH-N412"
    )
    versions = {
        "meter_old": DeviceVersionFactory(
            device_model=meter, firmware_version="00020104", cpl_status=CplStatus.REMOVED
        ),
        "meter": DeviceVersionFactory(device_model=meter, firmware_version="00020301"),
        "gas": DeviceVersionFactory(device_model=gas, firmware_version="00030100"),
        "hub": DeviceVersionFactory(device_model=hub, firmware_version="01040001"),
    }
    north, _ = dmc_get_or_create(
        members=[versions["hub"], versions["meter"]],
        actor=None,
        name="North pair",
        regions=["north"],
    )
    south, _ = dmc_get_or_create(
        members=[versions["hub"], versions["gas"]], actor=None, name="Gas pair", regions=["south"]
    )
    return {"versions": versions, "north": north, "south": south}


@pytest.fixture
def signed_in(client, supplier_user):
    client.force_login(supplier_user)
    return client


def rows(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue/",
        "/catalogue/dmcs/",
        "/catalogue/models/10A5/0001A2F3/",
    ],
)
def test_it_sends_strangers_to_the_login_page(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_lists_every_version_with_table_headers(signed_in, catalogue):
    response = signed_in.get(reverse("catalogue:index"))
    assert response.status_code == 200
    page = rows(response)
    assert "4 device versions" in page
    assert '<th scope="col">Firmware</th>' in page
    assert '<label for="id_q">' in page
    assert "<h1>Device catalogue</h1>" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "hubline"}, {"01040001"}),
        ({"q": "0001-a2f3"}, {"00020104", "00020301"}),
        ({"q": "0002:0301"}, {"00020301"}),
        ({"q": "10a5"}, {"00020104", "00020301", "00030100"}),
        ({"manufacturer": "1D2F"}, {"01040001"}),
        ({"device_type": "GSME"}, {"00030100"}),
        ({"firmware": "0002 01"}, {"00020104"}),
        ({"cpl_status": "removed"}, {"00020104"}),
        ({"device_type": "ESME", "cpl_status": "listed"}, {"00020301"}),
        ({"device_type": "NOPE"}, {"00020104", "00020301", "00030100", "01040001"}),
    ],
)
def test_it_searches_and_filters(signed_in, catalogue, params, expected):
    response = signed_in.get(reverse("catalogue:index"), params)
    shown = {v.firmware_version for v in response.context["page"].object_list}
    assert shown == expected


def test_it_shows_a_model_with_its_versions_and_combinations(signed_in, catalogue):
    response = signed_in.get(reverse("catalogue:model_detail", args=["10a5", "0001a2f3"]))
    assert response.status_code == 200
    page = rows(response)
    assert "<h1>Meterix E470</h1>" in page
    assert "00020104" in page and "00020301" in page
    assert catalogue["north"].identifier in page
    assert catalogue["south"].identifier not in page


@pytest.mark.parametrize(("maker", "model"), [("10A5", "FFFFFFFF"), ("zz", "0001A2F3")])
def test_it_answers_404_for_an_unknown_model(signed_in, catalogue, maker, model):
    response = signed_in.get(reverse("catalogue:model_detail", args=[maker, model]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"north", "south"}),
        ({"region": "north"}, {"north"}),
        ({"region": "central"}, set()),
        ({"q": "G260"}, {"south"}),
        ({"q": "0002-0301"}, {"north"}),
        ({"q": "pair"}, {"north", "south"}),
        ({"device_type": "GSME"}, {"south"}),
    ],
)
def test_it_searches_dmcs(signed_in, catalogue, params, expected):
    response = signed_in.get(reverse("catalogue:dmc_list"), params)
    shown = {dmc.identifier for dmc in response.context["page"].object_list}
    assert shown == {catalogue[name].identifier for name in expected}


def test_it_counts_dmc_members(signed_in, catalogue):
    response = signed_in.get(reverse("catalogue:dmc_list"))
    counts = {dmc.identifier: dmc.member_count for dmc in response.context["page"].object_list}
    assert set(counts.values()) == {2}


def test_it_shows_a_dmc_with_its_members(signed_in, catalogue):
    dmc = catalogue["north"]
    response = signed_in.get(reverse("catalogue:dmc_detail", args=[dmc.identifier.lower()]))
    assert response.status_code == 200
    page = rows(response)
    assert "Hubline CH-N412" in page and "Meterix E470" in page
    assert "North" in page
    assert '<th scope="col">Firmware</th>' in page


def test_it_answers_404_for_an_unknown_dmc(signed_in, catalogue):
    assert (
        signed_in.get(reverse("catalogue:dmc_detail", args=["DMC-000000000000"])).status_code == 404
    )


def test_it_pages_long_results(signed_in):
    model = DeviceModelFactory()
    for n in range(55):
        DeviceVersionFactory(device_model=model, firmware_version=f"{n:08X}")
    first = signed_in.get(reverse("catalogue:index"), {"q": model.name})
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 of 2" in rows(first)
    second = signed_in.get(reverse("catalogue:index"), {"q": model.name, "page": 2})
    assert len(second.context["page"].object_list) == 5
