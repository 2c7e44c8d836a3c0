"""Writes for in-app notifications: queue them with the change, deliver them in the worker,
mark them read.

Queued as one outbox job for all recipients, so a change that concerns many users costs its
transaction one row; the worker decides, user by user and at delivery, whether the user may see
the issue (the register's visibility selectors), so a notification never tells a user about an
issue hidden from them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kir.accounts.models import User
from kir.notify.models import Notification
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue
from kir.register.selectors import issues_visible_to


def notifications_enqueue(
    *, key: str, users: Iterable[User], title: str, issue_id: int | None = None, url: str = ""
) -> Job | None:
    user_ids = sorted({user.pk for user in users})
    if not user_ids:
        return None
    payload = {"user_ids": user_ids, "issue_id": issue_id, "title": title, "url": url}
    return outbox_enqueue(kind="notification", key=key, payload=payload)


def deliver_notifications(job: Job) -> None:
    """The outbox handler: one notification per recipient who may see the issue, once."""
    payload = job.payload
    for user in User.objects.filter(pk__in=payload["user_ids"], is_active=True):
        issue_id = payload["issue_id"]
        if issue_id is not None and not issues_visible_to(user=user).filter(pk=issue_id).exists():
            continue
        Notification.objects.get_or_create(
            user=user,
            key=job.key,
            defaults={"issue_id": issue_id, "title": payload["title"], "url": payload["url"]},
        )


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those of `ids`) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
