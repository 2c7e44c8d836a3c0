"""One-click unsubscribe (RFC 8058): a POST without session or CSRF token stops the stream; a
GET only asks to confirm; a token the register did not sign does nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.audit.models import AuditEvent
from kir.notify.mailing import unsubscribe_token
from kir.notify.models import MailPreferences, PublicationMail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return f"/notifications/unsubscribe/{token}/"


def test_it_unsubscribes_on_a_one_click_post_without_login_or_csrf_token():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _url(unsubscribe_token(user, "publications")), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert MailPreferences.objects.get(user=user).publications == PublicationMail.NONE
    event = AuditEvent.objects.get(verb="notify.unsubscribed")
    assert event.data == {"stream": "publications"}


def test_a_get_only_asks_to_confirm():
    user = UserFactory()
    token = unsubscribe_token(user, "bulletins")
    page = Client().get(_url(token)).content.decode()
    assert "Stop receiving bulletins" in page and f'action="{_url(token)}"' in page
    assert not MailPreferences.objects.filter(user=user).exists()
    Client().post(_url(token))
    assert MailPreferences.objects.get(user=user).bulletins is False


def test_it_refuses_a_token_it_did_not_sign():
    user = UserFactory()
    forged = unsubscribe_token(user, "work")[:-3] + "AAA"
    response = Client().post(_url(forged))
    assert response.status_code == 404
    assert "not one the register made" in response.content.decode()
    assert not MailPreferences.objects.exists()


def test_a_token_stops_one_stream_only():
    user = UserFactory()
    Client().post(_url(unsubscribe_token(user, "work")))
    preferences = MailPreferences.objects.get(user=user)
    assert (preferences.work, preferences.bulletins) == (False, True)
    assert preferences.publications == PublicationMail.ALL
