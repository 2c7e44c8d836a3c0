"""API authentication: a personal token (Authorization: Bearer kir_...) or the browser session.

Use `auth=api_auth` on a router or operation. On success `request.auth` (and `request.user`) is
the signed-in User; only active members of an organisation get through either way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from kir.accounts.models import User
from kir.accounts.selectors import user_is_member
from kir.accounts.services import token_authenticate


class TokenBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token.strip())
        if user is not None:
            # Code shared with the UI reads request.user; make it the token's owner.
            request.user = user
        return user


class MemberSessionAuth(SessionAuth):
    """Django's session with ninja's CSRF check, limited to active members of an organisation."""

    def __call__(self, request: HttpRequest) -> Any | None:
        # Without a session cookie there is nothing to check; skipping keeps a failed bearer token
        # answering 401 instead of ninja's "CSRF check failed".
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user_is_member(user):
            return user
        return None


api_auth = [TokenBearer(), MemberSessionAuth()]
