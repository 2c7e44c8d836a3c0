"""Sign-in is throttled per account and per address, with a clear message, and SECAS can
unlock an account (issue 16 row 1)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_it_pauses_an_account_after_repeated_failures(supplier_user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "supplier-a", "wrong").status_code == 200
    # The failure that reaches the limit starts the pause; the right password is then refused.
    assert _sign_in(client, "supplier-a", "wrong").status_code == 429
    locked = _sign_in(client, "supplier-a", TEST_PASSWORD)
    assert locked.status_code == 429
    assert "too many failed sign-in attempts" in locked.content.decode()
    assert not _signed_in(client)
    # From another address too: the account is paused, not just the address.
    other = Client()
    assert _sign_in(other, "supplier-a", TEST_PASSWORD, address="10.0.0.2").status_code == 429


def test_it_pauses_an_address_guessing_many_accounts(supplier_user, settings):
    client = Client()
    for number in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"guess-{number}", "wrong", address="10.9.9.9")
    assert _sign_in(client, "supplier-a", TEST_PASSWORD, address="10.9.9.9").status_code == 429
    assert _sign_in(Client(), "supplier-a", TEST_PASSWORD, address="10.0.0.3").status_code == 302


def test_a_success_before_the_limit_resets_the_count(supplier_user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "supplier-a", "wrong")
    assert _sign_in(client, "supplier-a", TEST_PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(Client(), "supplier-a", "wrong")
    assert _sign_in(Client(), "supplier-a", TEST_PASSWORD).status_code == 302


def test_secas_unlocks_an_account_in_the_admin(supplier_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "supplier-a", "wrong")
    assert _sign_in(Client(), "supplier-a", TEST_PASSWORD).status_code == 429
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    admin = UserFactory(username="secas-admin", organisation=secas, role=Role.ADMINISTRATOR)
    admin.is_staff = True
    admin.save()
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "unlock_sign_in", "_selected_action": [supplier_user.pk], "index": 0},
        follow=True,
    )
    assert "Sign-in unlocked for 1 user(s)." in response.content.decode()
    event = AuditEvent.objects.get(verb="accounts.sign_in_unlocked")
    assert event.actor == admin and event.data["records_cleared"] == 1
    assert _sign_in(Client(), "supplier-a", TEST_PASSWORD).status_code == 302
