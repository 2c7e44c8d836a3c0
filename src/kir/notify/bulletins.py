"""Bulletins: messages SECAS composes for SEC Parties, such as the seed paper's 3(a) reminder to
ask device suppliers about known issues.

Composed in Markdown (rendered by the register's sanitising renderer) and kept as a draft to
preview; sending records every recipient in the send's transaction (who was told in the app, and
at which address by e-mail) with the audit event, and queues one `bulletin` job that the worker
expands into the e-mails and notifications. A bulletin goes once.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kir.accounts.models import PartyCategory, User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.mailing import PersonalEmails, UnneutralMessage, preferences_of, refuse_unneutral
from kir.notify.models import Bulletin, BulletinRecipient, Notification
from kir.outbox.mail import email_job
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue
from kir.register.errors import ValidationFailed
from kir.register.permissions import is_secas_with
from kir.register.rendering import render_markdown
from kir.register.services.language import active_phrases

_BATCH = 1000


def may_send_bulletins(user: User) -> bool:
    return is_secas_with(user, Permission.ADMINISTER_REGISTER)


def _require_sender(actor: User) -> None:
    if not may_send_bulletins(actor):
        raise PermissionDenied("Only SECAS administrators compose and send bulletins.")


def _errors(subject: str, body: str, categories: list[str]) -> dict[str, list[str]]:
    errors = {}
    if not subject.strip():
        errors["subject"] = ["Give the bulletin a subject."]
    elif len(subject.strip()) > 200:
        errors["subject"] = ["A subject is at most 200 characters."]
    if not body.strip():
        errors["body"] = ["Write the bulletin's text."]
    unknown = sorted(set(categories) - set(PartyCategory.values))
    if unknown:
        errors["categories"] = [f"Unknown SEC Party categories: {', '.join(unknown)}."]
    try:
        refuse_unneutral({"subject": subject, "text": body}, active_phrases(), [])
    except UnneutralMessage as error:
        errors.setdefault("body", []).append(f"Reword it: {error}.")
    return errors


@transaction.atomic
def bulletin_create(*, actor: User, subject: str, body: str, categories: list[str]) -> Bulletin:
    """A draft bulletin, to preview before sending."""
    _require_sender(actor)
    errors = _errors(subject, body, categories)
    if errors:
        raise ValidationFailed(errors)
    return Bulletin.objects.create(
        subject=subject.strip(),
        body=body.strip(),
        categories=sorted(set(categories)),
        created_by=actor,
    )


def bulletin_audience(bulletin: Bulletin) -> QuerySet[User]:
    """Every active member of the chosen categories' organisations (of every one if none)."""
    users = User.objects.filter(is_active=True, organisation__isnull=False)
    if bulletin.categories:
        users = users.filter(organisation__category__in=bulletin.categories)
    return users.select_related("organisation", "mail_preferences").order_by("pk")


@transaction.atomic
def bulletin_send(*, bulletin: Bulletin, actor: User) -> Bulletin:
    _require_sender(actor)
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if bulletin.sent_at is not None:
        raise ValidationFailed({"bulletin": ["This bulletin has already been sent."]})
    errors = _errors(bulletin.subject, bulletin.body, bulletin.categories)
    if errors:
        raise ValidationFailed(errors)
    recipients = [
        BulletinRecipient(
            bulletin=bulletin,
            user=user,
            email=user.email if user.email and preferences_of(user).bulletins else "",
        )
        for user in bulletin_audience(bulletin).iterator(chunk_size=_BATCH)
    ]
    BulletinRecipient.objects.bulk_create(recipients, batch_size=_BATCH)
    bulletin.sent_at, bulletin.sent_by = timezone.now(), actor
    bulletin.save(update_fields=["sent_at", "sent_by"])
    audit_record(
        actor=actor,
        verb=AuditEventType.BULLETIN_SENT,
        target=bulletin,
        data={
            "subject": bulletin.subject,
            "categories": bulletin.categories or "every SEC Party",
            "recipients": len(recipients),
            "emails": sum(1 for r in recipients if r.email),
        },
    )
    outbox_enqueue(kind="bulletin", key=f"bulletin.{bulletin.pk}", payload={"id": bulletin.pk})
    return bulletin


def bulletin_email_context(bulletin: Bulletin) -> dict[str, object]:
    return {"bulletin": bulletin, "body_html": render_markdown(bulletin.body)}


def deliver_bulletin(job: Job) -> None:
    """The outbox handler: the recorded recipients' e-mails and notifications, each once."""
    bulletin = Bulletin.objects.get(pk=job.payload["id"])
    emails = PersonalEmails("bulletin", bulletin_email_context(bulletin))
    notifications, mail = [], []
    url = f"/notifications/bulletins/{bulletin.pk}/"
    for recipient in bulletin.recipients.select_related("user").iterator(chunk_size=_BATCH):
        notifications.append(
            Notification(user=recipient.user, key=job.key, title=bulletin.subject, url=url)
        )
        if recipient.email:
            payload = emails.payload(recipient.user, stream="bulletins")
            mail.append(email_job(key=f"{job.key}.mail.u{recipient.user_id}", payload=payload))
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, _BATCH, ignore_conflicts=True)
        Job.objects.bulk_create(mail, _BATCH, ignore_conflicts=True)


def bulletins_for(*, user: User) -> QuerySet[Bulletin]:
    """SECAS administrators see every bulletin (drafts too); others those sent to them."""
    if may_send_bulletins(user):
        return Bulletin.objects.all()
    return Bulletin.objects.filter(recipients__user=user, sent_at__isnull=False)
