"""Helpers the register's views share: the acting user, the one way refusals are shown, and the
one way a successful action ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kir.accounts.models import User
from kir.register.errors import (
    Conflict,
    PreviewOutdated,
    RegisterError,
    TransitionRefused,
    ValidationFailed,
    VersionConflict,
)
from kir.register.models import Issue

PAGE_SIZE = 25


def acting_user(request: HttpRequest) -> User:
    """The signed-in user; views are wrapped in login_required, the API in api_auth."""
    user = request.user
    assert isinstance(user, User), "views must be protected by login_required"
    return user


@dataclass(frozen=True)
class Action:
    """A link offered on the issue page (an edit, a transition form, a statement form...)."""

    label: str
    url: str


def apply_errors(form: Any, errors: dict[str, list[str]]) -> None:
    """Put a service's field errors on the form: on the field when it has one, else on top."""
    for name, field_errors in errors.items():
        for message in field_errors:
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, f"{name.replace('_', ' ').capitalize()}: {message}")


def show_refusal(refusal: RegisterError, form: Any, context: dict[str, Any]) -> int:
    """Put a service's refusal on its form's page; the status to send the page with."""
    if isinstance(refusal, ValidationFailed):
        apply_errors(form, refusal.errors)
        return 422
    if isinstance(refusal, TransitionRefused):
        context["refusal_reasons"] = refusal.reasons
        return 422
    context["refusal_reasons"] = [str(refusal)]
    if isinstance(refusal, VersionConflict):
        context["refusal_title"] = "The issue changed while you were looking at it"
        return 409
    if isinstance(refusal, PreviewOutdated):
        context["refusal_title"] = "What this page showed has changed"
        return 409
    if isinstance(refusal, Conflict):
        return 409
    return 403


class FormPage:
    """A form's page, and the one way a view shows a refusal on it: refused outright (403, no
    form), or a service's refusal shown on the form (422 invalid or a refused step, 403 not
    allowed, 409 changed by someone else)."""

    def __init__(self, request: HttpRequest, template: str, **context: Any) -> None:
        self.request = request
        self.template = template
        self.context = context
        self.refusal: RegisterError | None = None
        # A POST that comes back to its form was refused or invalid: 422 lets clients tell.
        self.status = 422 if request.method == "POST" else 200

    @contextmanager
    def refusals_shown_on(self, form: Any) -> Iterator[None]:
        """Run a service call whose refusal is shown rather than raised. A `return` inside the
        block is the success path; `self.refusal` holds what was refused."""
        try:
            yield
        except RegisterError as refusal:
            self.refusal = refusal
            self.status = show_refusal(refusal, form, self.context)

    def render(self) -> HttpResponse:
        return render(self.request, self.template, self.context, status=self.status)

    def refused(self, reason: str) -> HttpResponse:
        """The page without its form, saying why this user may not use it."""
        context = {**self.context, "form": None, "refusal_reasons": [reason]}
        return render(self.request, self.template, context, status=403)


def done(request: HttpRequest, issue: Issue, message: str, anchor: str = "") -> HttpResponse:
    """After a successful action: say what happened (a banner on the next page) and go back to
    the issue page, where every action starts."""
    messages.success(request, message)
    url = reverse("register:detail", args=[issue.human_id])
    return redirect(f"{url}#{anchor}" if anchor else url)
