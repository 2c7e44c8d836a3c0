"""A password change ends the user's other sessions and, unless the user keeps them, revokes
their personal API tokens (issue 16 row 17)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kir.accounts.models import ApiToken
from kir.accounts.services import token_create
from kir.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW = "an entirely new passphrase 7"


def _change(client: Client, **extra: str):
    data = {"old_password": TEST_PASSWORD, "new_password1": NEW, "new_password2": NEW, **extra}
    return client.post(reverse("accounts:password_change"), data)


def _token_works(secret: str) -> bool:
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/me")
    return response.status_code == 200


def test_it_revokes_tokens_and_ends_other_sessions(supplier_user):
    _, secret = token_create(user=supplier_user, name="asset system", expires_in_days=30)
    here, elsewhere = Client(), Client()
    here.force_login(supplier_user)
    elsewhere.force_login(supplier_user)
    assert (
        "Keep my personal API tokens working"
        in here.get(reverse("accounts:password_change")).content.decode()
    )
    assert _change(here).status_code == 302
    assert not _token_works(secret)
    assert ApiToken.objects.get().revoked_at is not None
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home")).status_code == 302  # to the login page
    event = AuditEvent.objects.get(verb="accounts.password_changed")
    assert event.data["tokens_revoked"] == 1


def test_it_keeps_tokens_when_the_user_chooses_so(supplier_user):
    _, secret = token_create(user=supplier_user, name="asset system", expires_in_days=30)
    client = Client()
    client.force_login(supplier_user)
    assert _change(client, keep_tokens="on").status_code == 302
    assert _token_works(secret)
    assert AuditEvent.objects.get(verb="accounts.password_changed").data["tokens_revoked"] == 0
