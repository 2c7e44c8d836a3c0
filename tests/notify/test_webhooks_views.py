"""The webhook pages: administrators manage their organisation's endpoints (SECAS's anyone's);
the secret is shown in one response only; the log shows each attempt's answer."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.accounts.models import Role
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.notify.webhooks.models import WebhookEndpoint, WebhookSecret
from kir.outbox.worker import deliver_due
from tests.factories import UserFactory
from tests.notify.webhooks_world import administrator_of, subscribe

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    signed_in = Client()
    signed_in.force_login(user)
    return signed_in


def test_it_adds_an_endpoint_and_shows_its_secret_once(world, receiver):
    client = _client(administrator_of(world, "other_supplier"))
    added = client.post(
        "/webhooks/",
        {"url": receiver.url, "events": ["issue.published", "issue.withdrawn"]},
    )
    assert added.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = WebhookSecret.objects.get().secret
    assert secret.encode() in added.content and b"will not be shown again" in added.content
    assert endpoint.events == ["issue.published", "issue.withdrawn"]
    for page in ("/webhooks/", f"/webhooks/{endpoint.pk}/"):
        shown = client.get(page)
        assert shown.status_code == 200 and secret.encode() not in shown.content


def test_it_shows_what_is_wrong_with_a_url(world):
    client = _client(administrator_of(world, "other_supplier"))
    refused = client.post("/webhooks/", {"url": "ftp://x.example/", "events": ["issue.updated"]})
    assert refused.status_code == 200
    assert b"The URL must start with https://" in refused.content
    assert not WebhookEndpoint.objects.exists()


def test_it_lists_the_delivery_log_with_answers(world, receiver):
    endpoint = subscribe(world, "other_supplier", receiver)
    receiver.answers = [503]
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    deliver_due()
    page = _client(administrator_of(world, "other_supplier")).get(f"/webhooks/{endpoint.pk}/")
    assert b"tracker.edition_published" in page.content and b"HTTP 503" in page.content


def test_it_rotates_disables_and_enables(world, receiver):
    endpoint = subscribe(world, "other_supplier", receiver)
    client = _client(administrator_of(world, "other_supplier"))
    rotated = client.post(f"/webhooks/{endpoint.pk}/rotate/")
    newest = WebhookSecret.objects.filter(endpoint=endpoint).order_by("-id").first()
    assert newest.secret.encode() in rotated.content
    client.post(f"/webhooks/{endpoint.pk}/disable/")
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    client.post(f"/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.enabled
    client.post(f"/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()


def test_it_hides_another_organisations_endpoint_and_refuses_non_administrators(world, receiver):
    endpoint = subscribe(world, "other_supplier", receiver)
    stranger = _client(administrator_of(world, "reporter"))
    assert stranger.get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert stranger.post(f"/webhooks/{endpoint.pk}/disable/").status_code == 404
    assert endpoint.url.encode() not in stranger.get("/webhooks/").content
    contributor = _client(world.users["other_supplier_contributor"])
    assert contributor.get("/webhooks/").status_code == 403
    secas = _client(world.admin)
    assert endpoint.url.encode() in secas.get("/webhooks/").content
    assert secas.get(f"/webhooks/{endpoint.pk}/").status_code == 200


def test_the_admin_shows_endpoints_to_secas_administrators_without_secrets(world, receiver):
    endpoint = subscribe(world, "other_supplier", receiver)
    staff = UserFactory(
        username="secas-staff",
        organisation=world.organisations["secas"],
        role=Role.ADMINISTRATOR,
        is_staff=True,
    )
    client = _client(staff)
    page = client.get(f"/admin/notify/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and endpoint.url.encode() in page.content
    assert receiver.secrets[0].encode() not in page.content
    assert client.get("/admin/notify/webhookdelivery/").status_code == 200
