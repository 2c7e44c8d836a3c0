"""With debug off, every error answers with the product's own page and nothing of its internals."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INTERNALS = (b"URLconf", b"Traceback", b"settings.py", b"secret internals", b"DEBUG = True")


def assert_no_internals(body: bytes) -> None:
    for marker in INTERNALS:
        assert marker not in body, marker


def test_an_unknown_page_gets_the_products_404():
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"<h1>Page not found</h1>" in response.content
    assert b"Known Issues Register" in response.content
    assert_no_internals(response.content)


def test_a_hidden_issue_gets_the_same_404_as_a_missing_page():
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/issues/KIR-1999-0001/")
    assert response.status_code == 404
    assert b"<h1>Page not found</h1>" in response.content


def test_a_failure_gets_the_products_500_without_internals(settings):
    settings.ROOT_URLCONF = "tests.web.failing_urls"
    response = Client(raise_request_exception=False).get("/fail/")
    assert response.status_code == 500
    assert b"<h1>Something went wrong</h1>" in response.content
    assert_no_internals(response.content)


def test_a_form_without_its_csrf_token_gets_the_products_403():
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "x", "password": "y"}
    )
    assert response.status_code == 403
    assert b"<h1>The form has expired</h1>" in response.content
    assert_no_internals(response.content)
