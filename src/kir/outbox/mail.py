"""E-mail through the outbox: rendered and queued in the caller's transaction, sent by the worker
through Django's configured backend (SMTP in production).

The worker keeps one connection to the mail server open from message to message (opening one
per message cost the worker half its rate: connect, EHLO and QUIT for every message) and closes
it when it runs out of work (`close_connection`, called by the worker when idle). A connection
the server has dropped meanwhile is opened again once, at once, before the attempt counts as
failed.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import threading
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from kir.outbox.handlers import PermanentFailure
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")
_open = threading.local()


def email_payload(
    *, subject: str, text: str, html: str = "", to: list[str], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "subject": subject,
        "text": text,
        "html": html,
        "to": sorted(set(to)),
        "from": settings.DEFAULT_FROM_EMAIL,
    }
    if headers:
        payload["headers"] = headers
    return payload


def email_enqueue(
    *,
    key: str,
    subject: str,
    text: str,
    html: str = "",
    to: list[str],
    headers: dict[str, str] | None = None,
) -> Job | None:
    """Queue one message to `to` (nothing when there is no recipient)."""
    if not to:
        return None
    payload = email_payload(subject=subject, text=text, html=html, to=to, headers=headers)
    return outbox_enqueue(kind="email", key=key, payload=payload)


def email_job(*, key: str, payload: dict[str, Any]) -> Job:
    """An unsaved e-mail job, for a handler that queues many at once (`bulk_create`, ignoring
    keys already queued, so that a handler run twice queues each message once)."""
    return Job(
        kind="email",
        key=key,
        payload=payload,
        available_at=timezone.now(),
        max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
    )


def message_id(key: str) -> str:
    """The same Message-ID for every attempt at one delivery, so a repeat can be recognised."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kir.invalid"
    return f"<{_NOT_ATEXT.sub('.', key)}@{domain}>"


def _connection() -> BaseEmailBackend:
    connection = getattr(_open, "connection", None)
    if connection is None:
        connection = get_connection(fail_silently=False)
        connection.open()
        _open.connection = connection
    return connection


def close_connection() -> None:
    connection = getattr(_open, "connection", None)
    _open.connection = None
    if connection is not None:
        # Closing a broken connection can fail; it is dropped either way.
        with contextlib.suppress(Exception):
            connection.close()


def _send(message: EmailMultiAlternatives) -> None:
    reused = getattr(_open, "connection", None) is not None
    try:
        message.connection = _connection()
        message.send()
    except smtplib.SMTPServerDisconnected:
        close_connection()
        if not reused:
            raise
        message.connection = _connection()
        message.send()
    except smtplib.SMTPRecipientsRefused:
        raise
    except Exception:
        close_connection()
        raise


def deliver_email(job: Job) -> None:
    payload = job.payload
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload["from"],
        to=payload["to"],
        headers={**payload.get("headers", {}), "Message-ID": message_id(job.key)},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    try:
        _send(message)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentFailure(f"every recipient refused: {refused.recipients}") from refused
        raise
