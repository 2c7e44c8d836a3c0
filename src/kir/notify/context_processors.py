from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from kir.accounts.models import User
from kir.notify.feeds import feed_token_of
from kir.notify.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count the page header shows to a signed-in user, and the user's feed URL, which
    pages advertise with <link rel="alternate">."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    token = feed_token_of(user)
    feed = reverse("feeds:issues", args=[token]) if token else ""
    return {"unread_notifications": unread_count(user=user), "feed_path": feed}
