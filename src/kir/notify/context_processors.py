from __future__ import annotations

from django.http import HttpRequest

from kir.accounts.models import User
from kir.notify.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, int]:
    """The unread count the page header shows to a signed-in user."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user=user)}
