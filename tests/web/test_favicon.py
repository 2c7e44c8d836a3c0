"""Every page has an icon: linked from the register's pages, and /favicon.ico for the rest."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_sends_favicon_ico_to_the_registers_icon_without_a_sign_in():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("kir/favicon.svg")


def test_the_pages_link_the_icon():
    page = Client().get("/accounts/login/").content.decode()
    assert 'rel="icon"' in page and "kir/favicon.svg" in page
