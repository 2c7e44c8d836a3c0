from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kir.accounts.models import ApiToken
from kir.accounts.services import token_create
from kir.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password=TEST_PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_it_serves_an_accessible_login_page(client):
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Sign in</h1>" in html
    assert re.search(r'<label for="id_username">', html)
    assert re.search(r'<label for="id_password">', html)


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_signs_a_member_in_and_out(client, supplier_user):
    response = _login(client, "supplier-a")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("home")).status_code == 302


def test_it_refuses_a_wrong_password(client, supplier_user):
    response = _login(client, "supplier-a", "wrong")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_refuses_inactive_users(client):
    UserFactory(username="gone", is_active=False)
    response = _login(client, "gone")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_refuses_users_without_an_organisation(client):
    UserFactory(username="loose", organisation=None)
    response = _login(client, "loose")
    assert response.status_code == 200
    # MemberBackend refuses the credentials outright: nothing tells if the password was right.
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_refuses_a_superuser_without_an_organisation_on_the_register_login(client):
    UserFactory(username="root", organisation=None, is_superuser=True, is_staff=True)
    response = _login(client, "root")
    assert response.status_code == 200
    assert "not linked to an organisation" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_changes_the_password_and_keeps_the_session(client, supplier_user):
    client.force_login(supplier_user)
    page = client.get(reverse("accounts:password_change"))
    assert "<h1>Change your password</h1>" in page.content.decode()
    new = "an entirely new passphrase 7"
    data = {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new}
    response = client.post(reverse("accounts:password_change"), data)
    assert response["Location"] == reverse("accounts:password_change_done")
    assert client.get(reverse("accounts:password_change_done")).status_code == 200
    supplier_user.refresh_from_db()
    assert supplier_user.check_password(new)
    assert AuditEvent.objects.filter(verb="accounts.password_changed").count() == 1
    assert client.get(reverse("home")).status_code == 200


def test_it_refuses_a_password_change_with_the_wrong_old_password(client, supplier_user):
    client.force_login(supplier_user)
    new = "an entirely new passphrase 7"
    data = {"old_password": "nope", "new_password1": new, "new_password2": new}
    response = client.post(reverse("accounts:password_change"), data)
    assert response.status_code == 200
    supplier_user.refresh_from_db()
    assert supplier_user.check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.filter(verb="accounts.password_changed").exists()


def test_it_shows_a_new_tokens_secret_once(client, supplier_user):
    client.force_login(supplier_user)
    assert client.get(reverse("accounts:token_create")).status_code == 200
    url = reverse("accounts:token_create")
    response = client.post(url, {"name": "asset import", "expires_in_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response.get("Cache-Control", "")
    secret = re.search(r'value="(kir_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=supplier_user)
    assert token.prefix == secret[:12]
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert "asset import" in listing
    assert token.prefix in listing
    assert secret not in listing


def test_it_rerenders_the_form_for_a_bad_expiry(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(reverse("accounts:token_create"), {"name": "x", "expires_in_days": "9"})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_it_lists_only_the_users_own_tokens(client, supplier_user):
    token_create(user=UserFactory(), name="someone else's", expires_in_days=7)
    token_create(user=supplier_user, name="mine", expires_in_days=7)
    client.force_login(supplier_user)
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert "mine" in listing
    assert "someone else" not in listing


def test_it_revokes_an_own_token_by_post_only(client, supplier_user):
    token, _ = token_create(user=supplier_user, name="mine", expires_in_days=7)
    client.force_login(supplier_user)
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response["Location"] == reverse("accounts:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_it_answers_404_for_another_users_token(client, supplier_user):
    token, _ = token_create(user=UserFactory(), name="theirs", expires_in_days=7)
    client.force_login(supplier_user)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_requires_sign_in_for_token_pages(client):
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
