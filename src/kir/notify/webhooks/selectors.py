"""Reads for the webhook pages: the endpoints a user may manage, and their delivery log."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kir.accounts.models import User
from kir.notify.webhooks.models import WebhookDelivery, WebhookEndpoint
from kir.notify.webhooks.services import may_manage_webhooks

LOG_SIZE = 50


def endpoints_manageable_by(*, user: User) -> QuerySet[WebhookEndpoint]:
    """Its organisation's endpoints for an administrator; every one for SECAS administrators."""
    organisation = user.organisation
    if organisation is None or not may_manage_webhooks(user, organisation):
        return WebhookEndpoint.objects.none()
    endpoints = WebhookEndpoint.objects.select_related("organisation")
    return endpoints if organisation.is_secas else endpoints.filter(organisation=organisation)


def endpoint_get_manageable(*, user: User, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint, or Http404 when the user may not manage it (the same answer as missing)."""
    endpoint = endpoints_manageable_by(user=user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def delivery_log(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint)[:LOG_SIZE]
