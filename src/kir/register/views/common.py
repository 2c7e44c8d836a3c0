"""Helpers the register's views share: the acting user, and service refusals shown on forms."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kir.accounts.models import User
from kir.register.errors import PermissionRefused, ValidationFailed

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


def field_errors(errors: dict[str, list[str]]) -> list[str]:
    return [f"{field}: {message}" for field, messages in errors.items() for message in messages]


def apply_errors(form: Any, errors: dict[str, list[str]]) -> None:
    """Put a service's field errors on the form: on the field when it has one, else on top."""
    for name, messages in errors.items():
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, f"{name.replace('_', ' ').capitalize()}: {message}")


@contextmanager
def refusals_shown_on(form: Any, context: dict[str, Any]) -> Iterator[None]:
    """Run a service call whose refusal is shown rather than raised: field errors on the form,
    a permission refusal above it. A `return` inside the block is the success path."""
    try:
        yield
    except ValidationFailed as error:
        apply_errors(form, error.errors)
    except PermissionRefused as refusal:
        context["refusal_reasons"] = [str(refusal)]


def render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    # A POST that comes back to its form was refused or invalid: 422 lets clients tell.
    status = 422 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def render_refused(
    request: HttpRequest, template: str, reason: str, **context: Any
) -> HttpResponse:
    """The form's page without its form, saying why this user may not use it."""
    refused = {**context, "form": None, "refusal_reasons": [reason]}
    return render(request, template, refused, status=403)
