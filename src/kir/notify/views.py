"""The notifications page; the home page's worklists are in kir.web."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kir.accounts.models import User
from kir.notify.selectors import notifications_for
from kir.notify.services import notifications_mark_read

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "views must be protected by login_required"
    return request.user


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = notifications_for(user=_user(request)).select_related("issue")[:PAGE_SIZE]
    return render(request, "notify/list.html", {"notifications": items})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=_user(request))
    return redirect("notify:list")
