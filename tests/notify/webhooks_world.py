"""Helpers for the webhook tests: an organisation's administrator, an endpoint for a receiver."""

from __future__ import annotations

from kir.accounts.models import Role
from kir.notify.webhooks.events import EVENTS, expand_webhook_event
from kir.notify.webhooks.services import webhook_endpoint_create
from kir.outbox.models import Job, JobState
from tests.factories import UserFactory
from tests.notify.webhook_receiver import Receiver
from tests.register.services.conftest import World


def administrator_of(world: World, key: str):
    organisation = world.organisations[key]
    return UserFactory(
        username=f"w-{key}-administrator", organisation=organisation, role=Role.ADMINISTRATOR
    )


def subscribe(world: World, key: str, receiver: Receiver, events=None):
    """An endpoint of organisation `key` for `events` (all), its secret given to the receiver."""
    endpoint, secret = webhook_endpoint_create(
        actor=administrator_of(world, key),
        organisation=world.organisations[key],
        url=receiver.url,
        events=list(events or EVENTS),
    )
    receiver.secrets.append(secret)
    return endpoint


def expand_events() -> list[Job]:
    """Expand every queued event into its deliveries, as the worker does first, without
    delivering them; returns the deliveries."""
    deliveries = []
    for event in Job.objects.filter(kind="webhook_event", state=JobState.PENDING).order_by("id"):
        deliveries += expand_webhook_event(event)
        Job.objects.filter(pk=event.pk).update(state=JobState.DONE)
    return deliveries
