"""The subscriptions page: follow and unfollow, e-mail choices, refusals naming the field."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.audit.models import AuditEvent
from kir.notify.models import Delivery, MailPreferences, PublicationMail, Subscription
from tests.factories import ManufacturerFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/notifications/subscriptions/"


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_follows_a_manufacturer_and_shows_it(alice):
    maker = ManufacturerFactory(name="Acme Meters Ltd")
    client = _client(alice)
    response = client.post(
        URL, {"action": "add", "kind": "manufacturer", "value-manufacturer": str(maker.pk)}
    )
    assert response.status_code == 302
    assert Subscription.objects.get(user=alice).value == str(maker.pk)
    page = client.get(URL).content.decode()
    assert "Manufacturer: Acme Meters Ltd" in page
    assert AuditEvent.objects.filter(verb="notify.subscriptions_changed").exists()


def test_it_refuses_something_not_in_the_catalogue(alice):
    response = _client(alice).post(
        URL, {"action": "add", "kind": "device_model", "value-device_model": "999"}
    )
    assert response.status_code == 400
    assert "There is no device model &#x27;999&#x27; to follow." in response.content.decode()
    assert not Subscription.objects.exists()


def test_it_removes_only_the_users_own_subscription(alice):
    bob = UserFactory(username="bob")
    mine = Subscription.objects.create(user=alice, kind="region", value="north")
    theirs = Subscription.objects.create(user=bob, kind="region", value="north")
    assert (
        _client(alice).post(URL, {"action": "remove", "subscription": theirs.pk}).status_code == 400
    )
    _client(alice).post(URL, {"action": "remove", "subscription": mine.pk})
    assert list(Subscription.objects.all()) == [theirs]


def test_it_saves_the_mail_choices(alice):
    _client(alice).post(
        URL,
        {"action": "preferences", "publications": "subscribed", "delivery": "daily", "work": "on"},
    )
    preferences = MailPreferences.objects.get(user=alice)
    assert preferences.publications == PublicationMail.SUBSCRIBED
    assert preferences.delivery == Delivery.DAILY
    assert (preferences.bulletins, preferences.work) == (False, True)
    page = _client(alice).get(URL).content.decode()
    assert '<option value="daily" selected>' in page


def test_it_needs_a_sign_in():
    assert Client().get(URL).status_code == 302


def test_it_follows_only_an_estate_its_organisation_saved(alice):
    from kir.exports.models import SavedEstate

    own = SavedEstate.objects.create(organisation=alice.organisation, name="Depot")
    other = SavedEstate.objects.create(organisation=UserFactory().organisation, name="Theirs")
    client = _client(alice)
    page = client.get(URL).content.decode()
    assert "Depot" in page and "Theirs" not in page
    refused = client.post(URL, {"action": "add", "kind": "estate", "value-estate": str(other.pk)})
    assert refused.status_code == 400 and not Subscription.objects.exists()
    client.post(URL, {"action": "add", "kind": "estate", "value-estate": str(own.pk)})
    assert Subscription.objects.get(user=alice).value == str(own.pk)
    assert "My estate (a saved estate file): Depot" in client.get(URL).content.decode()
