"""Reads for a user's notifications. A notification about an issue is shown only while the user
may still see that issue (an issue can be rejected or withdrawn after the notification went)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kir.accounts.models import User
from kir.notify.models import Notification
from kir.register.selectors import issues_visible_to


def notifications_for(*, user: User) -> QuerySet[Notification]:
    visible = issues_visible_to(user=user).values("pk")
    return Notification.objects.filter(user=user).filter(
        Q(issue__isnull=True) | Q(issue__in=visible)
    )


def unread_count(*, user: User) -> int:
    return notifications_for(user=user).filter(read_at=None).count()
