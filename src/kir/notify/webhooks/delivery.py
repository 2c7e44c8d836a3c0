"""The outbox handler for webhooks: sign, POST, log the attempt, and disable an endpoint that
answers 410 or fails WEBHOOK_DISABLE_AFTER_FAILURES times in a row (its owners are told).

Each attempt is signed afresh (receivers refuse old timestamps) under the job's key as
`webhook-id`, so a delivery repeated after a worker died carries the same id and can be dropped.
Redirects are not followed (a redirect could lead to an address the checks refused); every
socket operation is bounded by WEBHOOK_TIMEOUT_SECONDS and only the first KiB of an answer is
read, so a receiver cannot hold a worker for long.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from kir.notify.webhooks.addresses import DestinationRefused, check_destination
from kir.notify.webhooks.models import WebhookDelivery, WebhookEndpoint
from kir.notify.webhooks.owners import webhook_endpoint_disable_for_failures
from kir.notify.webhooks.signing import live_secrets, signed_headers
from kir.outbox.handlers import PermanentFailure
from kir.outbox.models import Job

_READ_BYTES = 1024


class WebhookFailed(Exception):
    """The receiver did not accept the delivery; the outbox retries it with backoff."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx answer is reported as it is


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str = ""
    refused: bool = False


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={**headers, "Content-Type": "application/json", "User-Agent": "kir-webhooks/1"},
    )
    try:
        check_destination(url)
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(_READ_BYTES)
            return Answer(response.status)
    except DestinationRefused as refusal:
        return Answer(None, str(refusal), refused=True)
    except urllib.error.HTTPError as answer:
        answer.close()
        return Answer(answer.code, f"HTTP {answer.code} {answer.reason}")
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"{type(error).__name__}: {error}")


def deliver_webhook(job: Job) -> None:
    endpoint = WebhookEndpoint.objects.filter(pk=job.payload["endpoint_id"]).first()
    if endpoint is None:
        raise PermanentFailure("the endpoint was deleted")
    if not endpoint.enabled:
        raise PermanentFailure(f"the endpoint is disabled: {endpoint.disabled_reason}")
    secrets = live_secrets(endpoint)
    if not secrets:
        raise PermanentFailure("the endpoint has no live signing secret")
    body = json.dumps(job.payload["body"], separators=(",", ":"))
    headers = signed_headers(webhook_id=job.key, body=body, secrets=secrets, at=timezone.now())
    started = time.monotonic()
    answer = post(endpoint.url, body.encode(), headers)
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        webhook_id=job.key,
        event=job.payload["event"],
        attempt=job.attempts,
        status_code=answer.status_code,
        error=answer.error[:500],
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    _record_outcome(endpoint, answer)


def _record_outcome(endpoint: WebhookEndpoint, answer: Answer) -> None:
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
        return
    if answer.status_code == 410:
        webhook_endpoint_disable_for_failures(
            endpoint=endpoint, reason="the receiver answered 410 Gone"
        )
        raise PermanentFailure(answer.error)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = WebhookEndpoint.objects.values_list("consecutive_failures", flat=True).get(
        pk=endpoint.pk
    )
    if failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        webhook_endpoint_disable_for_failures(
            endpoint=endpoint,
            reason=f"{failures} deliveries in a row failed, the last: {answer.error}",
        )
        raise PermanentFailure(answer.error)
    if answer.refused:
        raise PermanentFailure(answer.error)
    raise WebhookFailed(answer.error or f"HTTP {answer.status_code}")
