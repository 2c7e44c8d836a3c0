"""The daily digest: the publication notices held for users who asked for one message a day.

`kir notify digest` (cron, once a day or more often) queues, for each user with entries held
from before today, one e-mail on the outbox keyed by the user and the day, and marks the entries
sent in the same transaction. Run again the same day it finds nothing left from before today;
entries held today wait for tomorrow's digest. So a day's digest goes once however often cron
runs, and a crash between two users leaves the rest for the next run.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from kir.accounts.models import User
from kir.notify.mailing import personal_email
from kir.notify.models import DigestEntry
from kir.outbox.services import outbox_enqueue
from kir.register.selectors.visibility import issues_visible_to


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def digest_send(*, day: datetime.date | None = None) -> int:
    """Queue the digest of `day` (today) for every user who has one; returns how many."""
    day = day or timezone.localdate()
    due = DigestEntry.objects.filter(sent_on=None, created_at__lt=_start_of(day))
    users = User.objects.filter(pk__in=due.values("user_id")).select_related("organisation")
    return sum(_send_one(user, day) for user in users)


@transaction.atomic
def _send_one(user: User, day: datetime.date) -> bool:
    entries = list(
        DigestEntry.objects.select_for_update()
        .filter(user=user, sent_on=None, created_at__lt=_start_of(day))
        .select_related("issue")
    )
    # What the user may still see: an issue withdrawn from them since stays out of the digest.
    visible = set(
        issues_visible_to(user=user)
        .filter(pk__in=[e.issue_id for e in entries])
        .values_list("pk", flat=True)
    )
    shown = [entry for entry in entries if entry.issue_id in visible]
    DigestEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sent_on=day)
    if not shown or not user.is_active or not user.email:
        return False
    context = {"entries": shown, "day": day}
    payload = personal_email(user=user, template="digest", context=context, stream="publications")
    outbox_enqueue(kind="email", key=f"digest.{day.isoformat()}.u{user.pk}", payload=payload)
    return True
