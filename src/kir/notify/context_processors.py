from __future__ import annotations

import functools

from django.http import HttpRequest
from django.urls import reverse

from kir.accounts.models import User
from kir.notify.feeds import feed_token_of
from kir.notify.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count the page header shows to a signed-in user, and the user's feed URL, which
    the register list advertises with <link rel="alternate">.

    Both are read only when a template uses them, and once per response however often it does:
    a template calls a callable it finds in its context, and each one here keeps its answer.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}

    @functools.cache
    def feed_path() -> str:
        token = feed_token_of(user)
        return reverse("feeds:issues", args=[token]) if token else ""

    return {
        "unread_notifications": functools.cache(lambda: unread_count(user=user)),
        "feed_path": feed_path,
    }
