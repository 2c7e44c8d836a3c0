from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("member_backend"),
]


@pytest.fixture
def member_backend():
    with override_settings(AUTHENTICATION_BACKENDS=["kir.accounts.backends.MemberBackend"]):
        yield


def _sign_in(client, username):
    data = {"username": username, "password": TEST_PASSWORD}
    return client.post(reverse("accounts:login"), data)


def test_it_signs_in_a_member(client, supplier_user):
    assert _sign_in(client, "supplier-a").status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_it_refuses_users_without_an_organisation(client):
    UserFactory(username="loose", organisation=None)
    assert _sign_in(client, "loose").status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_ends_the_session_of_a_user_who_loses_the_organisation(client, supplier_user):
    client.force_login(supplier_user)
    assert client.get(reverse("home")).status_code == 200
    supplier_user.organisation = None
    supplier_user.save()
    assert client.get(reverse("home")).status_code == 302


def test_it_ends_the_session_of_a_deactivated_user(client, supplier_user):
    client.force_login(supplier_user)
    supplier_user.is_active = False
    supplier_user.save()
    assert client.get(reverse("home")).status_code == 302


def test_it_lets_a_superuser_without_an_organisation_reach_the_admin(client):
    UserFactory(username="root", organisation=None, is_staff=True, is_superuser=True)
    data = {"username": "root", "password": TEST_PASSWORD, "next": "/admin/"}
    response = client.post("/admin/login/", data)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_it_reads_the_session_user_with_its_organisation_in_one_query(supplier_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kir.accounts.backends import MemberBackend

    with CaptureQueriesContext(connection) as queries:
        user = MemberBackend().get_user(supplier_user.pk)
        assert user is not None and user.organisation.name == "Supplier A"
    assert len(queries) == 1


def test_it_finds_no_session_user_for_an_unknown_id(db):
    from kir.accounts.backends import MemberBackend

    assert MemberBackend().get_user(987654) is None
