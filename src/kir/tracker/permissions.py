"""Who may act on the tracker: the role table's permission, and DCC's duty to run it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from kir.accounts.models import User
from kir.accounts.permissions import Permission, user_has_permission


def may_run_tracker(user: User | AnonymousUser) -> bool:
    """DCC coordinates the tracker: its coordinators and administrators start runs."""
    organisation = getattr(user, "organisation", None)
    return bool(
        organisation is not None
        and organisation.is_dcc
        and user_has_permission(user, Permission.RUN_TRACKER)
    )
