"""The one role -> permission table.

A role says what a user may do; the organisation's SEC Party category says where (the register's
workflow adds category conditions, e.g. only SECAS administrators approve publication). Roles are
cumulative: each includes everything the role before it may do.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from kir.accounts.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


class Permission(StrEnum):
    VIEW_REGISTER = "register.view"
    MANAGE_OWN_TOKENS = "accounts.manage_own_tokens"
    REPORT_ISSUE = "register.report"
    ADD_STATEMENT = "register.add_statement"
    UPLOAD_EVIDENCE = "register.upload_evidence"
    COORDINATE_ISSUE = "register.coordinate"
    RUN_TRACKER = "tracker.run"
    ADMINISTER_REGISTER = "register.administer"
    EDIT_THRESHOLD_POLICY = "register.edit_policy"
    OVERRIDE_LANGUAGE_CHECK = "register.override_language"
    IMPORT_CATALOGUE = "catalogue.import"
    MANAGE_USERS = "accounts.manage_users"
    # Keep an estate check's estate for the organisation (kir.exports.estate_services).
    SAVE_ESTATE = "exports.save_estate"
    MANAGE_WEBHOOKS = "notify.manage_webhooks"


_VIEWER = frozenset({Permission.VIEW_REGISTER, Permission.MANAGE_OWN_TOKENS})
_CONTRIBUTOR = _VIEWER | {
    Permission.REPORT_ISSUE,
    Permission.ADD_STATEMENT,
    Permission.UPLOAD_EVIDENCE,
    Permission.SAVE_ESTATE,
}
_COORDINATOR = _CONTRIBUTOR | {Permission.COORDINATE_ISSUE, Permission.RUN_TRACKER}
_ADMINISTRATOR = _COORDINATOR | {
    Permission.ADMINISTER_REGISTER,
    Permission.EDIT_THRESHOLD_POLICY,
    Permission.OVERRIDE_LANGUAGE_CHECK,
    Permission.IMPORT_CATALOGUE,
    Permission.MANAGE_USERS,
    Permission.MANAGE_WEBHOOKS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.CONTRIBUTOR: frozenset(_CONTRIBUTOR),
    Role.COORDINATOR: frozenset(_COORDINATOR),
    Role.ADMINISTRATOR: frozenset(_ADMINISTRATOR),
}


def user_has_permission(user: User | AnonymousUser, permission: Permission) -> bool:
    """True when an active, signed-in member of an organisation holds `permission` by role."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "organisation_id", None) is None:
        return False
    return permission in ROLE_PERMISSIONS[Role(user.role)]
