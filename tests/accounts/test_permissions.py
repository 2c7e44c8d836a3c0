"""The whole role -> permission table, written out here independently of the code under test."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.contrib.auth.models import AnonymousUser

from kir.accounts.models import PartyCategory, Role
from kir.accounts.permissions import ROLE_PERMISSIONS, Permission, user_has_permission
from tests.factories import OrganisationFactory, UserFactory

P = Permission
VIEWER = {P.VIEW_REGISTER, P.MANAGE_OWN_TOKENS}
CONTRIBUTOR = VIEWER | {P.REPORT_ISSUE, P.ADD_STATEMENT, P.UPLOAD_EVIDENCE, P.SAVE_ESTATE}
COORDINATOR = CONTRIBUTOR | {P.COORDINATE_ISSUE, P.RUN_TRACKER}
ADMINISTRATOR = COORDINATOR | {
    P.ADMINISTER_REGISTER,
    P.EDIT_THRESHOLD_POLICY,
    P.OVERRIDE_LANGUAGE_CHECK,
    P.IMPORT_CATALOGUE,
    P.MANAGE_USERS,
    P.MANAGE_WEBHOOKS,
}
EXPECTED = {
    Role.VIEWER: VIEWER,
    Role.CONTRIBUTOR: CONTRIBUTOR,
    Role.COORDINATOR: COORDINATOR,
    Role.ADMINISTRATOR: ADMINISTRATOR,
}
ROLES_IN_ORDER = [Role.VIEWER, Role.CONTRIBUTOR, Role.COORDINATOR, Role.ADMINISTRATOR]


def test_it_defines_exactly_the_expected_table():
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()} == EXPECTED


def test_it_gives_administrators_every_permission():
    assert ROLE_PERMISSIONS[Role.ADMINISTRATOR] == frozenset(Permission)


@pytest.mark.parametrize("lower, higher", list(pairwise(ROLES_IN_ORDER)))
def test_it_makes_each_role_include_the_one_before(lower, higher):
    assert ROLE_PERMISSIONS[lower] < ROLE_PERMISSIONS[higher]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES_IN_ORDER)
@pytest.mark.parametrize("permission", list(Permission))
def test_it_grants_a_member_exactly_their_roles_permissions(role, permission):
    user = UserFactory(role=role)
    assert user_has_permission(user, permission) is (permission in EXPECTED[role])


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(PartyCategory))
def test_it_grants_the_same_role_the_same_permissions_in_every_category(category):
    organisation = OrganisationFactory(category=category)
    user = UserFactory(organisation=organisation, role=Role.CONTRIBUTOR)
    granted = {p for p in Permission if user_has_permission(user, p)}
    assert granted == CONTRIBUTOR


@pytest.mark.parametrize("permission", list(Permission))
def test_it_gives_anonymous_users_nothing(permission):
    assert not user_has_permission(AnonymousUser(), permission)


@pytest.mark.django_db
@pytest.mark.parametrize("permission", list(Permission))
def test_it_gives_inactive_users_nothing(permission):
    user = UserFactory(role=Role.ADMINISTRATOR, is_active=False)
    assert not user_has_permission(user, permission)


@pytest.mark.django_db
@pytest.mark.parametrize("permission", list(Permission))
def test_it_gives_users_without_an_organisation_nothing(permission):
    user = UserFactory(role=Role.ADMINISTRATOR, organisation=None)
    assert not user_has_permission(user, permission)
