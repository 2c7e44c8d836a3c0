"""The Atom feed itself (no session: the token in the URL is the user) and the page that shows,
renews and revokes a user's feed URL."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_POST

from kir.accounts.models import User
from kir.notify.feeds import feed_key_renew, feed_key_revoke, feed_token_of, user_for_feed_token
from kir.register.selectors import IssueFilters, issue_search_queryset
from kir.register.workflow import PUBLIC_STATES

FEED_ENTRIES = 50
FEED_FILTERS = ("manufacturer", "model", "region", "category")


def _site(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def issues_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = user_for_feed_token(token)
    if user is None:
        raise Http404("No such feed.")
    chosen = {name: request.GET.get(name, "").strip() or None for name in FEED_FILTERS}
    issues = (
        issue_search_queryset(user=user, filters=IssueFilters(**chosen))  # type: ignore[arg-type]
        .filter(state__in=PUBLIC_STATES)
        .order_by(F("published_at").desc(nulls_last=True), "-id")[:FEED_ENTRIES]
    )
    described = ", ".join(f"{k} {v}" for k, v in chosen.items() if v) or "all issues"
    feed = Atom1Feed(
        title=f"Known Issues Register: published issues ({described})",
        link=_site("/issues/"),
        description="Issues published on the Known Issues Register",
        feed_url=_site(request.get_full_path()),
    )
    for issue in issues:
        marker = " [DISPUTED]" if issue.is_disputed else ""
        feed.add_item(
            title=f"{issue.human_id} {issue.title}{marker}",
            link=_site(f"/issues/{issue.human_id}/"),
            description=issue.summary,
            unique_id=_site(f"/issues/{issue.human_id}/"),
            pubdate=issue.published_at,
            updateddate=issue.updated_at,
            categories=[issue.get_category_display(), issue.get_state_display()],
        )
    return HttpResponse(
        feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "views must be protected by login_required"
    return request.user


@login_required
def feed_page(request: HttpRequest) -> HttpResponse:
    token = feed_token_of(_user(request))
    url = _site(reverse("feeds:issues", args=[token])) if token else None
    return render(request, "notify/feed.html", {"feed_url": url, "filters": FEED_FILTERS})


@login_required
@require_POST
def feed_renew(request: HttpRequest) -> HttpResponse:
    feed_key_renew(user=_user(request))
    return redirect("notify:feed")


@login_required
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    feed_key_revoke(user=_user(request))
    return redirect("notify:feed")
