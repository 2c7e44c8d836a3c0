"""Taking a tracker edition back: cancel a proposal before its approval, withdraw a published one.

Both follow what the register does for issues (kir.register.workflow): one SECAS administrator
may cancel a publication proposal or withdraw a published issue, with a reason and without a
second administrator; the reason is recorded, audit-logged and shown on the page. Withdrawn and
cancelled are final (a corrected edition is a new proposal). A withdrawn edition stops granting
Parties its findings, so each region's tracker home falls back to the previous published
edition; its page stays and says it was withdrawn and why.

The manufacturers told about the edition's findings are told it was cancelled or withdrawn (they
keep their notice: they were told, and a later edition need not tell them again); a withdrawal
also tells every Party in the app and fires the `tracker.edition_withdrawn` webhook.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.services import EVERYONE, notifications_enqueue
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.outbox.mail import email_enqueue
from kir.register.errors import ValidationFailed
from kir.tracker.editions import manufacturer_recipients, require_edition_administrator
from kir.tracker.models import EditionStatus, ManufacturerFindingNotice, TrackerEdition

MAX_REASON_CHARS = 2000


def _locked(edition: TrackerEdition, expected: str, action: str) -> TrackerEdition:
    edition = TrackerEdition.objects.select_for_update().get(pk=edition.pk)
    if edition.status != expected:
        raise ValidationFailed(
            {
                "edition": [
                    f"Only a {expected} edition can be {action}; edition {edition.number} is "
                    f"{edition.get_status_display().lower()}."
                ]
            }
        )
    return edition


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationFailed({"reason": ["Give the reason: it is recorded and shown."]})
    if len(text) > MAX_REASON_CHARS:
        raise ValidationFailed({"reason": [f"At most {MAX_REASON_CHARS} characters."]})
    return text


def told_organisations(edition: TrackerEdition) -> list[Organisation]:
    """Every manufacturer told about one of the edition's findings, by this or an earlier one."""
    keys = edition.findings.values("key")
    ids = ManufacturerFindingNotice.objects.filter(finding_key__in=keys).values("organisation_id")
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def _tell_manufacturers(edition: TrackerEdition, what: str, reason: str) -> list[str]:
    subject = f"Tracker edition {edition.number} was {what}"
    url = f"/tracker/editions/{edition.number}/"
    text = (
        f"Tracker edition {edition.number}, which includes a finding correlated with a component "
        f"of yours, was {what} by SECAS.\n\nReason: {reason}\n\nThe edition's page: {url}\n"
    )
    told = []
    for organisation in told_organisations(edition):
        key = f"tracker-edition.{edition.pk}.{what}.{organisation.pk}"
        email_enqueue(key=key, subject=subject, text=text, to=manufacturer_recipients(organisation))
        notifications_enqueue(
            key=f"{key}.app",
            users=organisation.users.filter(is_active=True),
            title=subject,
            url=url,
        )
        told.append(organisation.name)
    return told


@transaction.atomic
def edition_cancel(*, actor: User, edition: TrackerEdition, reason: str) -> TrackerEdition:
    """Cancel a proposed edition before a second administrator approves it; nothing went out."""
    require_edition_administrator(actor, "cancel a tracker edition")
    text = _reason(reason)
    edition = _locked(edition, EditionStatus.PROPOSED, "cancelled")
    edition.status = EditionStatus.CANCELLED
    edition.cancelled_at = timezone.now()
    edition.ended_by, edition.end_reason = actor, text
    edition.save(update_fields=["status", "cancelled_at", "ended_by", "end_reason"])
    told = _tell_manufacturers(edition, "cancelled", text)
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_EDITION_CANCELLED,
        target=edition,
        data={"number": edition.number, "reason": text, "manufacturers_told": told},
    )
    return edition


@transaction.atomic
def edition_withdraw(*, actor: User, edition: TrackerEdition, reason: str) -> TrackerEdition:
    """Withdraw a published edition: Parties fall back to the previous published edition."""
    require_edition_administrator(actor, "withdraw a tracker edition")
    text = _reason(reason)
    edition = _locked(edition, EditionStatus.PUBLISHED, "withdrawn")
    now = timezone.now()
    edition.status = EditionStatus.WITHDRAWN
    edition.withdrawn_at = now
    edition.ended_by, edition.end_reason = actor, text
    edition.save(update_fields=["status", "withdrawn_at", "ended_by", "end_reason"])
    url = f"/tracker/editions/{edition.number}/"
    told = _tell_manufacturers(edition, "withdrawn", text)
    notifications_enqueue(
        key=f"tracker-edition.{edition.pk}.withdrawn",
        users=EVERYONE,
        title=f"Tracker edition {edition.number} was withdrawn",
        url=url,
    )
    # As for publication: the number and the page, never the findings' detail.
    webhook_events_enqueue(
        event="tracker.edition_withdrawn",
        data={
            "edition": edition.number,
            "withdrawn_at": now.isoformat(),
            "reason": text,
            "url": url,
        },
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_EDITION_WITHDRAWN,
        target=edition,
        data={"number": edition.number, "reason": text, "manufacturers_told": told},
    )
    return edition
