"""The events a webhook can carry, and `webhook_events_enqueue`, which queues one delivery per
endpoint that asked for the event, in the transaction of the change that causes it.

Each delivery's payload is built now, for the endpoint's organisation (kir.notify.webhooks
.payloads), so it says what the change made of the issue; an organisation that may not see the
issue gets nothing. A Standard Webhooks payload: `{"type", "timestamp", "data"}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
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
}

# Workflow steps that are events of their own (kir.register.workflow's names).
STEP_EVENTS: dict[str, str] = {
    "publish": "issue.published",
    "resolve": "issue.resolved",
    "close": "issue.closed",
    "reopen": "issue.reopened",
    "withdraw": "issue.withdrawn",
}


def _endpoints_for(event: str) -> list[WebhookEndpoint]:
    # JSON containment differs between the engines; endpoints are few, so filter here.
    active = WebhookEndpoint.objects.filter(disabled_at=None).select_related("organisation")
    return [endpoint for endpoint in active.order_by("id") if event in endpoint.events]


def webhook_events_enqueue(
    *, event: str, issue: Issue | None = None, data: dict[str, Any] | None = None
) -> list[Job]:
    """Queue `event` to every enabled endpoint that asked for it. With `issue`, the payload's
    `data.issue` is what the endpoint's organisation may see of it (no delivery when nothing);
    `data` adds fields, which must be fit for every member organisation to read."""
    if event not in EVENTS:
        raise ValueError(f"webhook event {event!r}: expected one of {', '.join(EVENTS)}")
    jobs = []
    timestamp = timezone.now().isoformat()
    for endpoint in _endpoints_for(event):
        body: dict[str, Any] = dict(data or {})
        if issue is not None:
            seen = issue_data(organisation=endpoint.organisation, issue=issue)
            if seen is None:
                continue
            body["issue"] = seen
        jobs.append(
            outbox_enqueue(
                kind="webhook",
                key=f"msg_{uuid.uuid4().hex}",
                payload={
                    "endpoint_id": endpoint.pk,
                    "event": event,
                    "body": {"type": event, "timestamp": timestamp, "data": body},
                },
                max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
            )
        )
    return jobs


def webhooks_for_state_change(*, issue: Issue, change: StateChange) -> list[Job]:
    """The workflow's one call: the step's event, when it is one."""
    event = STEP_EVENTS.get(change.transition)
    return webhook_events_enqueue(event=event, issue=issue) if event else []
