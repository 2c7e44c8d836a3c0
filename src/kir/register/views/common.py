"""Helpers shared by the register's views and API: turning parsed input into selector arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from kir.accounts.models import User

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
