"""E-mail to users: three-part templates, absolute links, and unsubscribing (RFC 8058).

Templates are `notify/email/<name>_subject.txt`, `_body.txt` and `_body.html`, rendered with
`site_url` (KIR_SITE_URL, so links work from a mail reader) and, on anything a user may stop,
`unsubscribe_url`. Statutory notices carry no unsubscribe link and go whatever a user chose:
the manufacturer notice (seed paper 3(b)(i)) and the notices of correction, dispute and
withdrawal to the organisations involved in the issue (docs/notifications.md says why). Every
other message names the stream it belongs to, and its `List-Unsubscribe` header carries a
signed token of the user and the stream, which the one-click endpoint accepts without a session.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string

from kir.accounts.models import User
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.models import MailPreferences, PublicationMail
from kir.outbox.mail import email_payload
from kir.register.language import find_prohibited

_SALT = "kir.notify.unsubscribe"
# stream -> (what it is, in words; the preference field and the value that stops it)
STREAMS: dict[str, tuple[str, str, object]] = {
    "publications": (
        "notices of issues published, corrected and withdrawn",
        "publications",
        PublicationMail.NONE,
    ),
    "bulletins": ("bulletins from SECAS for the SEC Panel", "bulletins", False),
    "work": ("notices of submissions and proposals awaiting SECAS", "work", False),
}


def site_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def unsubscribe_token(user: User, stream: str) -> str:
    return signing.dumps({"u": user.pk, "s": stream}, salt=_SALT, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, stream) of a token this register signed, or None."""
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("s") not in STREAMS:
        return None
    return int(value["u"]), str(value["s"])


def preferences_of(user: User) -> MailPreferences:
    """The user's preferences, or the defaults (unsaved) when the user never changed them."""
    try:
        return user.mail_preferences
    except MailPreferences.DoesNotExist:
        return MailPreferences(user=user)


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    base = f"notify/email/{template}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    return (
        subject,
        render_to_string(f"{base}_body.txt", context),
        render_to_string(f"{base}_body.html", context),
    )


_UNSUBSCRIBE_SLOT = "@@kir-unsubscribe-url@@"


class PersonalEmails:
    """Personal e-mails from one template and context: rendered once per variant (what differs
    between users besides the address, e.g. the subscriptions matched), with each user's
    unsubscribe address put in. Rendering per user took 30 ms a user on a loaded machine,
    a minute for a publication to 2,000 users; the signed token is the only personal part."""

    def __init__(self, template: str, context: dict[str, Any]) -> None:
        self.template = template
        self.context = context
        self._rendered: dict[tuple[Any, ...], tuple[str, str, str]] = {}

    def payload(
        self, user: User, *, stream: str | None, variant: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An outbox e-mail payload to one user; `stream` None for a statutory notice."""
        variant = variant or {}
        key = (stream, *sorted((k, repr(v)) for k, v in variant.items()))
        if key not in self._rendered:
            context = {**self.context, **variant}
            if stream is not None:
                context.update(unsubscribe_url=_UNSUBSCRIBE_SLOT, stream_label=STREAMS[stream][0])
            self._rendered[key] = render_email(self.template, context)
        subject, text, html = self._rendered[key]
        headers: dict[str, str] = {}
        if stream is not None:
            url = site_url(f"/notifications/unsubscribe/{unsubscribe_token(user, stream)}/")
            text, html = text.replace(_UNSUBSCRIBE_SLOT, url), html.replace(_UNSUBSCRIBE_SLOT, url)
            headers = {
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        return email_payload(
            subject=subject, text=text, html=html, to=[user.email], headers=headers
        )


def personal_email(
    *, user: User, template: str, context: dict[str, Any], stream: str | None
) -> dict[str, Any]:
    """One e-mail payload to one user; `stream` None for a statutory notice."""
    return PersonalEmails(template, context).payload(user, stream=stream)


class UnneutralMessage(ValueError):
    """A message describing an issue asserts responsibility or non-compliance."""


def refuse_unneutral(
    texts: dict[str, str], phrases: list[str], manufacturer_names: list[str]
) -> None:
    for name, text in texts.items():
        hits = find_prohibited(text, phrases, manufacturer_names)
        if hits:
            found = ", ".join(f'"{hit.matched}" ({hit.phrase})' for hit in hits)
            raise UnneutralMessage(f"the {name} of the message contains {found}")


@transaction.atomic
def unsubscribe(*, user: User, stream: str) -> MailPreferences:
    """Stop one stream of e-mail to the user (the one-click endpoint and the confirm page)."""
    _, field, stopped = STREAMS[stream]
    preferences, _ = MailPreferences.objects.select_for_update().get_or_create(user=user)
    setattr(preferences, field, stopped)
    preferences.save(update_fields=[field])
    audit_record(
        actor=user,
        verb=AuditEventType.MAIL_UNSUBSCRIBED,
        target=preferences,
        data={"stream": stream},
    )
    return preferences
