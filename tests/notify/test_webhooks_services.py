"""Managing webhook endpoints: who may, what is refused, the secret shown once, rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from kir.audit.models import AuditEvent
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.notify.webhooks.models import WebhookSecret
from kir.notify.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_secret_rotate,
)
from kir.outbox.models import Job
from kir.outbox.worker import deliver_due
from kir.register.errors import PermissionRefused, ValidationFailed
from tests.notify.webhooks_world import administrator_of, subscribe

pytestmark = pytest.mark.django_db


def _create(world, actor, key="other_supplier", **overrides):
    fields = {"url": "https://hooks.example.org/kir", "events": ["issue.published"]}
    fields.update(overrides)
    return webhook_endpoint_create(actor=actor, organisation=world.organisations[key], **fields)


def test_it_lets_an_administrator_create_an_endpoint_for_their_organisation(world):
    endpoint, secret = _create(world, administrator_of(world, "other_supplier"))
    assert secret.startswith("whsec_") and len(secret) > 40
    assert endpoint.enabled and endpoint.events == ["issue.published"]
    event = AuditEvent.objects.get(verb="notify.webhook_created")
    assert secret not in str(event.data)  # shown once, to its creator, never logged


def test_it_lets_a_secas_administrator_manage_any_organisations_endpoints(world):
    endpoint, _ = _create(world, world.admin)
    webhook_endpoint_disable(actor=world.admin, endpoint=endpoint)
    assert not endpoint.enabled


@pytest.mark.parametrize(
    "persona", ["other_supplier_contributor", "reporter_contributor", "secas_coordinator"]
)
def test_it_refuses_anyone_else(world, persona):
    with pytest.raises(PermissionRefused):
        _create(world, world.users[persona])


def test_it_refuses_another_organisations_administrator(world):
    endpoint, _ = _create(world, administrator_of(world, "other_supplier"))
    stranger = administrator_of(world, "reporter")
    for change in (webhook_secret_rotate, webhook_endpoint_disable, webhook_endpoint_delete):
        with pytest.raises(PermissionRefused):
            change(actor=stranger, endpoint=endpoint)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://hooks.example.org/", "https://"),
        ("file:///etc/passwd", "https://"),
        ("https://user:pw@hooks.example.org/", "user name or password"),
        ("https:///nohost", "name a host"),
    ],
)
def test_it_refuses_urls_that_are_not_plain_http(world, url, message):
    with pytest.raises(ValidationFailed) as refused:
        _create(world, world.admin, url=url)
    assert message in " ".join(refused.value.errors["url"])


def test_it_refuses_hosts_off_the_allow_list(world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.org"]
    _create(world, world.admin)
    with pytest.raises(ValidationFailed, match="not among the hosts"):
        _create(world, world.admin, url="https://elsewhere.example.org/")


def test_it_refuses_unknown_or_no_events(world):
    with pytest.raises(ValidationFailed, match=r"Unknown events: issue\.exploded"):
        _create(world, world.admin, events=["issue.exploded"])
    with pytest.raises(ValidationFailed, match="at least one event"):
        _create(world, world.admin, events=[])
    assert not WebhookSecret.objects.exists()


def test_a_rotation_signs_with_old_and_new_secret_until_the_overlap_ends(world, receiver):
    endpoint = subscribe(world, "other_supplier", receiver)
    old = receiver.secrets[0]
    new = webhook_secret_rotate(actor=administrator_of(world, "other_supplier"), endpoint=endpoint)
    assert new != old
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2026-12"})
    deliver_due()
    [during] = receiver.wait_for(1)
    assert len(during.signatures) == 2
    for secret in (old, new):  # a receiver holding either one verifies
        Webhook(secret).verify(during.body, during.headers)
    WebhookSecret.objects.exclude(expires_at=None).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    webhook_events_enqueue(event="tracker.edition_published", data={"edition": "2027-01"})
    deliver_due()
    _, after = receiver.wait_for(2)
    assert len(after.signatures) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_enabling_again_clears_the_failures_and_delivers_new_events(world, receiver):
    endpoint = subscribe(world, "other_supplier", receiver)
    owner = administrator_of(world, "other_supplier")
    webhook_endpoint_disable(actor=owner, endpoint=endpoint)
    assert webhook_events_enqueue(event="tracker.edition_published", data={}) is None
    webhook_endpoint_enable(actor=owner, endpoint=endpoint)
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    assert webhook_events_enqueue(event="tracker.edition_published", data={}) is not None


def test_an_unknown_event_is_refused_to_the_caller(world):
    with pytest.raises(ValueError, match=r"issue\.exploded"):
        webhook_events_enqueue(event="issue.exploded")
    assert not Job.objects.exists()
