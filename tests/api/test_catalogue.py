"""The catalogue endpoints: every entry in stable cursor pages, with the published issues naming
it that the caller may see; bad cursors answer 422."""

from __future__ import annotations

import base64

import pytest

from tests.factories import DeviceVersionFactory, DMCFactory
from tests.register.test_api import Api
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def every_page(api: Api, path: str, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = api.get(path, params).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_cursor_pages_cover_every_entry_once_in_order(cast):
    for number in range(5):
        DeviceVersionFactory(
            device_model=cast.version.device_model, firmware_version=f"0A00000{number}"
        )
    api = Api(cast.other_supplier)
    whole = api.get("/catalogue/versions", {"limit": 500}).json()
    assert whole["next_cursor"] is None
    paged = every_page(api, "/catalogue/versions", 2)
    assert [e["id"] for e in paged] == [e["id"] for e in whole["items"]]
    assert len(paged) == 7


def test_entries_name_the_published_issues_the_caller_sees(cast):
    dmc = DMCFactory(identifier="DMC-00000000000A", members=[cast.version])
    published = cast.published()
    cast.draft(title="A draft names it too")
    api = Api(cast.other_supplier)
    models = {e["label"]: e for e in every_page(api, "/catalogue/models", 10)}
    assert models["1A2B/00012345"]["issues"] == [published.human_id]
    assert models["1A2B/00012345"]["name"] == "Acme E1"
    dmcs = {e["label"]: e for e in every_page(api, "/catalogue/dmcs", 10)}
    assert dmcs[dmc.identifier]["issues"] == [published.human_id]
    makers = {e["label"]: e for e in every_page(api, "/catalogue/manufacturers", 10)}
    assert makers["1A2B"]["issues"] == [published.human_id]
    versions = {e["label"]: e for e in every_page(api, "/catalogue/versions", 10)}
    assert versions["1A2B/00012345/01020304"]["issues"] == [published.human_id]


def cursor_of(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        cursor_of("[1, 2]"),
        cursor_of("[]"),
        cursor_of('["a\\u0000", 1]'),
        cursor_of(f'["a", {2**70}]'),
        cursor_of('["a", true]'),
    ],
)
def test_a_cursor_the_api_did_not_give_is_a_422(cast, cursor):
    response = Api(cast.other_supplier).get("/catalogue/models", {"cursor": cursor})
    assert response.status_code == 422
    assert "cursor" in response.json()["errors"]
