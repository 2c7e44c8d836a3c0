"""E-mail through the outbox: rendered and queued in the caller's transaction, sent by the worker
through Django's configured backend (SMTP in production)."""

from __future__ import annotations

import re
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from kir.outbox.handlers import PermanentFailure
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


def email_enqueue(
    *, key: str, subject: str, text: str, html: str = "", to: list[str]
) -> Job | None:
    """Queue one message to `to` (nothing when there is no recipient)."""
    if not to:
        return None
    payload = {
        "subject": subject,
        "text": text,
        "html": html,
        "to": sorted(set(to)),
        "from": settings.DEFAULT_FROM_EMAIL,
    }
    return outbox_enqueue(kind="email", key=key, payload=payload)


def message_id(key: str) -> str:
    """The same Message-ID for every attempt at one delivery, so a repeat can be recognised."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kir.invalid"
    return f"<{_NOT_ATEXT.sub('.', key)}@{domain}>"


def deliver_email(job: Job) -> None:
    payload = job.payload
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload["from"],
        to=payload["to"],
        headers={"Message-ID": message_id(job.key)},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentFailure(f"every recipient refused: {refused.recipients}") from refused
        raise
