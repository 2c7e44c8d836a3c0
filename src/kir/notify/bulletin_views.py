"""Bulletin pages: compose with a preview, look again at a draft, send it, read a sent one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from kir.accounts.models import PartyCategory, User
from kir.notify.bulletins import (
    bulletin_audience,
    bulletin_create,
    bulletin_send,
    bulletins_for,
    may_send_bulletins,
)
from kir.register.errors import ValidationFailed
from kir.register.rendering import render_markdown

_RECIPIENTS_SHOWN = 500


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "views must be protected by login_required"
    return request.user


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {"bulletins": bulletins_for(user=user)[:100], "may_send": may_send_bulletins(user)}
    return render(request, "notify/bulletins.html", context)


# The reminder of option 3(a) of the paper the register comes from: the Panel writes to every
# SEC Party to ask its device suppliers about known issues. SECAS edits it before it goes out.
REMINDER_SUBJECT = "Reminder: ask your device suppliers about known issues"


def reminder_text() -> str:
    return render_to_string("notify/bulletins/reminder_3a.md")


@login_required
def bulletin_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_send_bulletins(user):
        raise PermissionDenied("Only SECAS administrators compose bulletins.")
    form = {"subject": "", "body": "", "categories": []}
    if request.GET.get("start") == "reminder":
        form = {"subject": REMINDER_SUBJECT, "body": reminder_text(), "categories": []}
    errors: dict[str, list[str]] = {}
    preview = None
    if request.method == "POST":
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
        categories = request.POST.getlist("categories")
        form = {"subject": subject, "body": body, "categories": categories}
        if request.POST.get("action") == "preview":
            preview = render_markdown(body)
        else:
            try:
                bulletin = bulletin_create(
                    actor=user, subject=subject, body=body, categories=categories
                )
            except ValidationFailed as refused:
                errors = refused.errors
            else:
                return redirect("notify:bulletin", pk=bulletin.pk)
    context = {
        "form": form,
        "errors": errors,
        "preview": preview,
        "categories": PartyCategory.choices,
    }
    return render(request, "notify/bulletin_new.html", context, status=400 if errors else 200)


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    bulletin = bulletins_for(user=user).filter(pk=pk).first()
    if bulletin is None:
        raise Http404("No such bulletin.")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            bulletin_send(bulletin=bulletin, actor=user)
        except ValidationFailed as refused:
            errors = refused.errors
        else:
            return redirect("notify:bulletin", pk=bulletin.pk)
    sender = may_send_bulletins(user)
    labels = dict(PartyCategory.choices)
    context = {
        "bulletin": bulletin,
        "body_html": render_markdown(bulletin.body),
        "categories": [labels.get(c, c) for c in bulletin.categories],
        "may_send": sender and bulletin.sent_at is None,
        "audience": bulletin_audience(bulletin).count() if sender and not bulletin.sent_at else 0,
        "recipients": (
            bulletin.recipients.select_related("user__organisation")[:_RECIPIENTS_SHOWN]
            if sender
            else []
        ),
        "recipient_count": bulletin.recipients.count() if sender else 0,
        "errors": errors,
    }
    return render(request, "notify/bulletin.html", context, status=400 if errors else 200)
