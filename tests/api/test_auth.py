from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from ninja.errors import HttpError

from kir.accounts.models import ApiToken
from kir.accounts.services import token_create, token_revoke
from kir.api.auth import MemberSessionAuth, TokenBearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/me"


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_it_answers_me_for_a_valid_token(client, supplier_user):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    response = client.get(ME, **_bearer(secret))
    assert response.status_code == 200
    assert response.json() == {
        "username": "supplier-a",
        "organisation": "Supplier A",
        "category": "large_supplier",
        "role": "contributor",
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_answers_me_for_a_signed_in_session(client, secas_admin):
    client.force_login(secas_admin)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["category"] == "secas"
    assert response.json()["role"] == "administrator"


def test_it_refuses_an_anonymous_request(client):
    assert client.get(ME).status_code == 401


def test_it_refuses_an_expired_token(client, supplier_user):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(ME, **_bearer(secret)).status_code == 401


def test_it_refuses_a_revoked_token(client, supplier_user):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    token_revoke(token=token, actor=supplier_user)
    assert client.get(ME, **_bearer(secret)).status_code == 401


def test_it_refuses_a_wrong_token(client, supplier_user):
    _, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    assert client.get(ME, **_bearer(secret + "x")).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token kir_abcdefghijklmnop", "bearer\tkir_x"],
)
def test_it_refuses_a_malformed_authorization_header(client, supplier_user, header):
    token_create(user=supplier_user, name="x", expires_in_days=7)
    assert client.get(ME, HTTP_AUTHORIZATION=header).status_code == 401


def _post_request(rf, user, *, with_cookie: bool):
    request = rf.post("/api/anything")
    request.user = user
    if with_cookie:
        request.COOKIES[settings.SESSION_COOKIE_NAME] = "some-session"
    return request


def test_it_checks_csrf_on_unsafe_session_requests(rf, supplier_user):
    request = _post_request(rf, supplier_user, with_cookie=True)
    with pytest.raises(HttpError) as refused:
        MemberSessionAuth()(request)
    assert refused.value.status_code == 403


def test_it_skips_session_auth_without_a_session_cookie(rf, supplier_user):
    # So a POST with a bad bearer token answers 401, not "CSRF check failed".
    request = _post_request(rf, supplier_user, with_cookie=False)
    assert MemberSessionAuth()(request) is None


def test_it_sets_request_user_from_a_token(rf, supplier_user):
    _, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    request = rf.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")
    request.user = AnonymousUser()
    assert TokenBearer()(request) == supplier_user
    assert request.user == supplier_user


def test_it_refuses_a_session_of_a_user_without_an_organisation(client):
    client.force_login(UserFactory(organisation=None))
    assert client.get(ME).status_code == 401


def test_it_refuses_a_session_of_a_deactivated_user(client, supplier_user):
    client.force_login(supplier_user)
    supplier_user.is_active = False
    supplier_user.save()
    assert client.get(ME).status_code == 401


def test_it_enforces_csrf_for_session_requests_but_not_for_tokens(supplier_user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(supplier_user)
    # GET is safe, so the session works without a CSRF token.
    assert csrf_client.get(ME).status_code == 200
    _, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    assert Client(enforce_csrf_checks=True).get(ME, **_bearer(secret)).status_code == 200


def test_it_prefers_the_token_when_both_are_present(client, supplier_user):
    other = UserFactory(username="token-owner")
    _, secret = token_create(user=other, name="x", expires_in_days=7)
    client.force_login(supplier_user)
    assert client.get(ME, **_bearer(secret)).json()["username"] == "token-owner"


def test_it_documents_both_schemes_in_openapi(client):
    schemes = client.get("/api/openapi.json").json()["components"]["securitySchemes"]
    kinds = {(s["type"], s.get("scheme", s.get("in"))) for s in schemes.values()}
    assert ("http", "bearer") in kinds
    assert ("apiKey", "cookie") in kinds
