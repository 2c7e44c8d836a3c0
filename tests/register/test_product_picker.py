"""The issue form's product picker without JavaScript (find, add, remove), its htmx fragments, and
the form page at CPL size."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kir.catalogue.models import DeviceModel, DeviceVersion, Manufacturer
from kir.register.models import Issue
from tests.clients import signed_in
from tests.factories import DMCFactory
from tests.register.test_views import issue_post, page, product_management
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def no_rows(cast: UiCast, **overrides: str) -> dict[str, str]:
    data = issue_post(cast, **product_management(total=0))
    for name in [n for n in data if n.startswith("products-0-")]:
        del data[name]
    data.update(overrides)
    return data


def test_the_form_offers_a_search_not_a_select_of_the_catalogue(cast):
    text = page(signed_in(cast.reporter).get("/issues/new/"))
    assert "<select" not in text.split('name="products-TOTAL_FORMS"')[1].split("</fieldset>")[0]
    assert 'name="product_find"' in text
    assert 'hx-get="/issues/new/"' in text
    assert "register/vendor/htmx.min.js" in text
    assert str(cast.other_version) not in text


def test_without_javascript_find_lists_matches_and_keeps_what_was_typed(cast):
    data = no_rows(cast, title="Half typed", picker="find_product", product_find="Other")
    response = signed_in(cast.reporter).post("/issues/new/", data)
    text = page(response)
    assert response.status_code == 200
    assert f'name="add_product" value="version:{cast.other_version.pk}"' in text
    assert 'value="Half typed"' in text
    assert "This field is required" not in text
    assert not Issue.objects.exists()


def test_without_javascript_add_appends_a_row_once(cast):
    client = signed_in(cast.reporter)
    data = no_rows(cast, add_product=f"version:{cast.other_version.pk}")
    text = page(client.post("/issues/new/", data))
    assert 'name="products-TOTAL_FORMS" value="1"' in text
    assert f'name="products-0-device_version" value="{cast.other_version.pk}"' in text
    assert f"Product 1: {cast.other_version.device_model.manufacturer.name}" in text
    again = {
        **no_rows(cast, add_product=f"version:{cast.other_version.pk}"),
        **product_management(total=1),
        "products-0-device_version": str(cast.other_version.pk),
    }
    assert 'name="products-TOTAL_FORMS" value="1"' in page(client.post("/issues/new/", again))


def test_a_dmc_shows_its_id_and_the_versions_it_contains(cast):
    dmc = DMCFactory(name="North pair", members=[cast.version, cast.other_version])
    client = signed_in(cast.reporter)
    found = page(
        client.post(
            "/issues/new/", no_rows(cast, picker="find_product", product_find=dmc.identifier)
        )
    )
    assert f"{dmc.identifier} North pair" in found
    assert f"This DMC contains: {cast.version}" in found
    added = page(client.post("/issues/new/", no_rows(cast, add_product=f"dmc:{dmc.pk}")))
    assert f"Product 1: DMC {dmc.identifier} (North pair)" in added
    assert str(cast.other_version) in added


def test_rows_picked_are_saved_and_a_removed_row_is_not(cast):
    dmc = DMCFactory(members=[cast.other_version])
    data = {
        **no_rows(cast),
        **product_management(total=2),
        "products-0-device_version": str(cast.version.pk),
        "products-0-status": "known_affected",
        "products-1-dmc": str(dmc.pk),
        "products-1-status": "under_investigation",
        "products-1-DELETE": "on",
    }
    response = signed_in(cast.reporter).post("/issues/new/", data)
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert [(p.device_version, p.dmc) for p in issue.products.all()] == [(cast.version, None)]


def test_the_edit_form_shows_saved_products_as_rows_and_removes_one(cast):
    issue = cast.draft()
    client = signed_in(cast.reporter)
    text = page(client.get(f"/issues/{issue.human_id}/edit/"))
    assert f'name="products-0-device_version" value="{cast.version.pk}"' in text
    data = {
        **no_rows(cast, version=str(issue.version)),
        **product_management(total=1, initial=1),
        "products-0-device_version": str(cast.version.pk),
        "products-0-status": "known_affected",
        "products-0-DELETE": "on",
    }
    assert client.post(f"/issues/{issue.human_id}/edit/", data).status_code == 302
    assert not issue.products.exists()


def test_htmx_search_answers_with_the_matches_alone(cast):
    response = signed_in(cast.reporter).get("/issues/new/", {"product_find": "Other"}, **HTMX)
    text = page(response)
    assert "<html" not in text
    assert f'value="version:{cast.other_version.pk}"' in text
    assert 'hx-post="/issues/new/"' in text


def test_htmx_add_answers_with_the_row_and_the_new_row_count(cast):
    data = {
        **no_rows(cast, add_product=f"version:{cast.other_version.pk}"),
        **product_management(total=1),
        "products-0-device_version": str(cast.version.pk),
    }
    text = page(signed_in(cast.reporter).post("/issues/new/", data, **HTMX))
    assert "<html" not in text
    assert f'name="products-1-device_version" value="{cast.other_version.pk}"' in text
    assert 'id="id_products-TOTAL_FORMS" hx-swap-oob="true"' in text
    assert 'value="2"' in text
    assert "Product 2:" in text


def test_htmx_add_of_a_product_already_there_changes_nothing(cast):
    data = {
        **no_rows(cast, add_product=f"version:{cast.version.pk}"),
        **product_management(total=1),
        "products-0-device_version": str(cast.version.pk),
    }
    response = signed_in(cast.reporter).post("/issues/new/", data, **HTMX)
    assert response.status_code == 204


def test_an_unknown_pick_adds_nothing(cast):
    text = page(
        signed_in(cast.reporter).post("/issues/new/", no_rows(cast, add_product="version:999999"))
    )
    assert 'name="products-TOTAL_FORMS" value="0"' in text


CPL_VERSIONS = 8_000


def cpl_sized_catalogue() -> None:
    """8,000 device versions, 100 to a model, 20 models to a manufacturer: a CPL's size."""
    makers = Manufacturer.objects.bulk_create(
        Manufacturer(identifier=f"{0xC000 + n:04X}", name=f"Maker {n}") for n in range(4)
    )
    models = DeviceModel.objects.bulk_create(
        DeviceModel(
            manufacturer=makers[n % 4],
            model_id=f"{0x00C00000 + n:08X}",
            device_type="ESME",
            name=f"Meter {n}",
        )
        for n in range(CPL_VERSIONS // 100)
    )
    DeviceVersion.objects.bulk_create(
        DeviceVersion(
            device_model=models[n // 100],
            hardware_version="0001",
            firmware_version=f"{0x02000000 + n:08X}",
            cpl_entry_id=f"CPL-C{n:05d}",
        )
        for n in range(CPL_VERSIONS)
    )


@pytest.mark.slow
def test_at_cpl_size_the_form_and_a_search_stay_small_and_fast(cast):
    cpl_sized_catalogue()
    client = signed_in(cast.reporter)
    client.get("/issues/new/")  # templates compiled, caches warm
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/issues/new/")
        elapsed = time.perf_counter() - started
    # Before the picker the page held a select of every version: some 100 bytes each.
    assert len(response.content) < 30_000, len(response.content)
    assert len(queries) < 20
    assert elapsed < 2.0, elapsed
    started = time.perf_counter()
    found = client.get("/issues/new/", {"product_find": "Meter 7"}, **HTMX)
    elapsed = time.perf_counter() - started
    assert found.content.count(b'name="add_product"') == 20
    assert len(found.content) < 20_000, len(found.content)
    assert elapsed < 2.0, elapsed
