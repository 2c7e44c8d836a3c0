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
from django.db.models import QuerySet
from django.utils import timezone

from kir.accounts.models import User
from kir.notify.models import Notification
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue
from kir.register.selectors import issues_visible_to

# Every active member of every organisation, resolved when the worker delivers, so a notice to
# all Parties costs the change's transaction one small row however many users there are.
EVERYONE = "everyone"


def notifications_enqueue(
    *,
    key: str,
    users: Iterable[User] | str,
    title: str,
    issue_id: int | None = None,
    url: str = "",
) -> Job | None:
    """Queue notifications to `users` (or to EVERYONE) about the issue `issue_id`."""
    payload: dict[str, object] = {"issue_id": issue_id, "title": title, "url": url}
    if users == EVERYONE:
        payload["audience"] = EVERYONE
    else:
        assert not isinstance(users, str), f"unknown audience {users!r}"
        payload["user_ids"] = sorted({user.pk for user in users})
        if not payload["user_ids"]:
            return None
    return outbox_enqueue(kind="notification", key=key, payload=payload)


def _recipients(payload: dict[str, object]) -> QuerySet[User]:
    active = User.objects.filter(is_active=True, organisation__isnull=False)
    if payload.get("audience") == EVERYONE:
        return active.select_related("organisation")
    return active.filter(pk__in=payload["user_ids"]).select_related("organisation")  # type: ignore[misc]


def deliver_notifications(job: Job) -> None:
    """The outbox handler: one notification per recipient who may see the issue, once (a
    repeated run inserts nothing: one notification per user and key)."""
    payload = job.payload
    issue_id = payload["issue_id"]
    told = [
        Notification(
            user=user, key=job.key, issue_id=issue_id, title=payload["title"], url=payload["url"]
        )
        for user in _recipients(payload).iterator(chunk_size=500)
        if issue_id is None or issues_visible_to(user=user).filter(pk=issue_id).exists()
    ]
    Notification.objects.bulk_create(told, batch_size=500, ignore_conflicts=True)


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those of `ids`) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
