"""The events a webhook can carry, and `webhook_events_enqueue`, which queues an event in the
transaction of the change that causes it.

The change's transaction writes one outbox row per event, whatever the number of endpoints;
the worker expands it into one delivery per endpoint, building each payload for the endpoint's
organisation (kir.notify.webhooks.payloads), so publishing stays as fast with a hundred
endpoints as with none (benchmarks/webhooks.py). An organisation that may not see the issue
gets nothing. A Standard Webhooks payload: `{"type", "timestamp", "data"}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kir.notify.webhooks.models import WebhookEndpoint
from kir.notify.webhooks.payloads import issue_data
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue
from kir.register.models import Issue, StateChange

# name -> what it means (shown where an administrator picks events, and in docs/webhooks.md).
EVENTS: dict[str, str] = {
    "issue.published": "An issue was published on the register",
    "issue.updated": "A published issue was changed or corrected, or a statement was added",
    "issue.disputed": "A named manufacturer disputed an issue",
    "issue.resolved": "A published issue was marked resolved",
    "issue.closed": "A resolved issue was closed",
    "issue.reopened": "A resolved or closed issue was reopened",
    "issue.withdrawn": "An issue was withdrawn from the register",
    "tracker.edition_published": "A new edition of the superfluous alerts tracker was published",
    "tracker.edition_withdrawn": "A published edition of the superfluous alerts tracker was "
    "withdrawn; Parties see the previous edition again",
}

# Workflow steps that are events of their own (kir.register.workflow's names).
STEP_EVENTS: dict[str, str] = {
    "publish": "issue.published",
    "resolve": "issue.resolved",
    "close": "issue.closed",
    "reopen": "issue.reopened",
    "withdraw": "issue.withdrawn",
}


def _endpoints_for(event: str, ids: list[int] | None = None) -> list[WebhookEndpoint]:
    # JSON containment differs between the engines; endpoints are few, so filter here.
    active = WebhookEndpoint.objects.filter(disabled_at=None).select_related("organisation")
    if ids is not None:
        active = active.filter(pk__in=ids)
    return [endpoint for endpoint in active.order_by("id") if event in endpoint.events]


def webhook_events_enqueue(
    *, event: str, issue: Issue | None = None, data: dict[str, Any] | None = None
) -> Job | None:
    """Queue `event` to every enabled endpoint that asked for it now: one outbox row in the
    caller's transaction (none when no endpoint asked), which the worker expands into one
    delivery per endpoint (`expand_webhook_event`). With `issue`, each payload's `data.issue` is
    what the endpoint's organisation may see of it (no delivery when nothing); `data` adds
    fields, which must be fit for every member organisation to read."""
    if event not in EVENTS:
        raise ValueError(f"webhook event {event!r}: expected one of {', '.join(EVENTS)}")
    endpoints = [endpoint.pk for endpoint in _endpoints_for(event)]
    if not endpoints:
        return None
    return outbox_enqueue(
        kind="webhook_event",
        key=f"msg_{uuid.uuid4().hex}",
        payload={
            "event": event,
            "issue_id": issue.pk if issue is not None else None,
            "data": data or {},
            "timestamp": timezone.now().isoformat(),
            "endpoint_ids": endpoints,
        },
    )


@transaction.atomic
def expand_webhook_event(job: Job) -> list[Job]:
    """The outbox handler: one delivery per endpoint, its payload built for the endpoint's
    organisation through the visibility selectors. Keys derive from the event's key, so an
    expansion run twice (its worker died) queues nothing twice."""
    event, payload = job.payload["event"], job.payload
    issue = Issue.objects.filter(pk=payload["issue_id"]).first() if payload["issue_id"] else None
    jobs = []
    for endpoint in _endpoints_for(event, payload["endpoint_ids"]):
        body: dict[str, Any] = dict(payload["data"])
        if issue is not None:
            seen = issue_data(organisation=endpoint.organisation, issue=issue)
            if seen is None:
                continue
            body["issue"] = seen
        jobs.append(
            outbox_enqueue(
                kind="webhook",
                key=f"{job.key}_{endpoint.pk}",
                payload={
                    "endpoint_id": endpoint.pk,
                    "event": event,
                    "body": {"type": event, "timestamp": payload["timestamp"], "data": body},
                },
                max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
            )
        )
    return jobs


def webhooks_for_state_change(*, issue: Issue, change: StateChange) -> Job | None:
    """The workflow's one call: the step's event, when it is one."""
    event = STEP_EVENTS.get(change.transition)
    return webhook_events_enqueue(event=event, issue=issue) if event else None
