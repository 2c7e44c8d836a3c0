"""Reads for accounts that depend on who is asking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from kir.accounts.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


def user_is_member(user: User | AnonymousUser) -> bool:
    """Only active users acting for an organisation may use the register (UI, API or tokens)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "organisation_id", None) is not None
    )


def tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anyone else's answers 404, as if it did not exist."""
    token = tokens_for_user(user=user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
