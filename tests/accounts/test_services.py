from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from kir.accounts.models import ApiToken, Organisation, PartyCategory, Role, User
from kir.accounts.services import (
    organisation_create,
    organisation_delete,
    organisation_update,
    token_authenticate,
    token_create,
    token_revoke,
    user_change_password,
    user_create,
    user_delete,
    user_reset_password,
    user_update,
)
from kir.accounts.tokens import hash_secret
from kir.audit.models import AuditEvent
from kir.audit.services import audit_verify_chain
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_stores_only_a_prefix_and_hash_of_a_new_token(supplier_user):
    token, secret = token_create(user=supplier_user, name=" import job ", expires_in_days=30)
    token.refresh_from_db()
    assert token.name == "import job"
    assert token.prefix == secret[:12]
    assert token.secret_hash == hash_secret(secret)
    assert secret not in {token.prefix, token.secret_hash, token.name}
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_it_records_token_creation_and_revocation_without_the_secret(supplier_user):
    token, secret = token_create(user=supplier_user, name="ci", expires_in_days=7)
    token_revoke(token=token, actor=supplier_user)
    events = list(AuditEvent.objects.filter(target_id=str(token.pk)).order_by("id"))
    assert [e.verb for e in events] == ["accounts.token_created", "accounts.token_revoked"]
    assert all(secret not in str(e.data) and token.secret_hash not in str(e.data) for e in events)
    assert audit_verify_chain().ok


@pytest.mark.parametrize("days", [0, -1, 367])
def test_it_refuses_an_expiry_out_of_range(supplier_user, days):
    with pytest.raises(ValidationError):
        token_create(user=supplier_user, name="x", expires_in_days=days)
    assert not ApiToken.objects.exists()


def test_it_refuses_a_blank_name(supplier_user):
    with pytest.raises(ValidationError):
        token_create(user=supplier_user, name="   ", expires_in_days=7)


def test_it_refuses_tokens_to_users_without_an_organisation():
    with pytest.raises(PermissionDenied):
        token_create(user=UserFactory(organisation=None), name="x", expires_in_days=7)


def test_it_authenticates_a_valid_token_and_records_its_use(supplier_user):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    assert token_authenticate(secret) == supplier_user
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=10)


def test_it_writes_last_used_at_at_most_once_a_minute(supplier_user, django_assert_num_queries):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    with django_assert_num_queries(1):  # the lookup only, no UPDATE
        assert token_authenticate(secret) == supplier_user
    token.refresh_from_db()
    assert token.last_used_at == recent
    stale = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    assert token_authenticate(secret) == supplier_user
    token.refresh_from_db()
    assert token.last_used_at > stale


def test_it_rejects_an_expired_token(supplier_user):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_authenticate(secret) is None
    token.refresh_from_db()
    assert token.last_used_at is None


def test_it_rejects_a_revoked_token(supplier_user):
    token, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    token_revoke(token=token, actor=supplier_user)
    assert token_authenticate(secret) is None


def test_it_rejects_a_wrong_or_malformed_secret(supplier_user):
    _, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    assert token_authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert token_authenticate(secret[:12]) is None
    assert token_authenticate("") is None
    assert token_authenticate(hash_secret(secret)) is None


def test_it_rejects_tokens_of_inactive_users_or_users_without_an_organisation(supplier_user):
    _, secret = token_create(user=supplier_user, name="x", expires_in_days=7)
    supplier_user.is_active = False
    supplier_user.save()
    assert token_authenticate(secret) is None
    supplier_user.is_active = True
    supplier_user.organisation = None
    supplier_user.save()
    assert token_authenticate(secret) is None


def test_it_lets_revoking_twice_record_once(supplier_user):
    token, _ = token_create(user=supplier_user, name="x", expires_in_days=7)
    first = token_revoke(token=token, actor=supplier_user).revoked_at
    assert token_revoke(token=token, actor=supplier_user).revoked_at == first
    assert AuditEvent.objects.filter(verb="accounts.token_revoked").count() == 1


def test_it_refuses_revocation_by_another_organisations_user(supplier_user):
    token, _ = token_create(user=supplier_user, name="x", expires_in_days=7)
    stranger = UserFactory(role=Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        token_revoke(token=token, actor=stranger)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_lets_own_and_secas_administrators_revoke_a_members_token(supplier_user, secas_admin):
    colleague_admin = UserFactory(organisation=supplier_user.organisation, role=Role.ADMINISTRATOR)
    colleague_viewer = UserFactory(organisation=supplier_user.organisation, role=Role.VIEWER)
    first, _ = token_create(user=supplier_user, name="a", expires_in_days=7)
    second, _ = token_create(user=supplier_user, name="b", expires_in_days=7)
    with pytest.raises(PermissionDenied):
        token_revoke(token=first, actor=colleague_viewer)
    assert token_revoke(token=first, actor=colleague_admin).revoked_at is not None
    assert token_revoke(token=second, actor=secas_admin).revoked_at is not None
    assert secas_admin.organisation.category == PartyCategory.SECAS


def test_it_changes_a_password_and_records_it_without_the_password(supplier_user):
    user_change_password(user=supplier_user, new_password="a new long passphrase 42")
    supplier_user.refresh_from_db()
    assert supplier_user.check_password("a new long passphrase 42")
    event = AuditEvent.objects.get(verb="accounts.password_changed")
    assert event.target_id == str(supplier_user.pk)
    assert "passphrase" not in str(event.data)


def test_it_returns_each_tokens_own_user(supplier_user):
    other = UserFactory(organisation=OrganisationFactory(name="Other"))
    _, mine = token_create(user=supplier_user, name="x", expires_in_days=7)
    _, theirs = token_create(user=other, name="x", expires_in_days=7)
    assert token_authenticate(mine) == supplier_user
    assert token_authenticate(theirs) == other


def test_it_creates_an_organisation_and_records_who_did_it(secas_admin):
    organisation = organisation_create(
        actor=secas_admin,
        slug="kestrel",
        name=" Kestrel Energy ",
        category=PartyCategory.SMALL_SUPPLIER,
        contact_email="register@kestrel.example",
    )
    assert Organisation.objects.get(slug="kestrel").name == "Kestrel Energy"
    event = AuditEvent.objects.get(verb="accounts.organisation_created")
    assert (event.actor, event.target_id) == (secas_admin, str(organisation.pk))
    assert event.data == {
        "slug": "kestrel",
        "name": "Kestrel Energy",
        "category": PartyCategory.SMALL_SUPPLIER,
    }
    assert audit_verify_chain().ok


@pytest.mark.parametrize(
    ("field", "changes"),
    [("slug", {"slug": "taken"}), ("category", {"category": "retailer"}), ("name", {"name": " "})],
)
def test_it_refuses_a_bad_organisation_and_writes_nothing(secas_admin, field, changes):
    OrganisationFactory(name="Taken Ltd", slug="taken")
    before = (Organisation.objects.count(), AuditEvent.objects.count())
    values = {"slug": "new", "name": "New Ltd", "category": PartyCategory.DCC, **changes}
    with pytest.raises(ValidationError) as refusal:
        organisation_create(actor=secas_admin, **values)
    assert field in refusal.value.message_dict
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == before


def test_it_creates_a_user_without_putting_the_password_in_the_log(secas_admin):
    organisation = OrganisationFactory(category=PartyCategory.MANUFACTURER)
    user = user_create(
        actor=secas_admin,
        username="maker-contributor",
        organisation=organisation,
        role=Role.CONTRIBUTOR,
        password="a long demo passphrase",
        email="maker@example.test",
    )
    user.refresh_from_db()
    assert (user.organisation, user.role, user.is_staff) == (organisation, Role.CONTRIBUTOR, False)
    assert user.check_password("a long demo passphrase")
    event = AuditEvent.objects.get(verb="accounts.user_created")
    assert event.actor == secas_admin
    assert event.data == {
        "username": "maker-contributor",
        "organisation": organisation.slug,
        "role": Role.CONTRIBUTOR,
    }
    assert "passphrase" not in str(event.data) and user.password not in str(event.data)


def test_it_refuses_a_taken_username_or_unknown_role_and_writes_nothing(supplier_user):
    before = (User.objects.count(), AuditEvent.objects.count())
    for username, role in ((supplier_user.username, Role.VIEWER), ("fresh", "owner")):
        with pytest.raises(ValidationError):
            user_create(
                actor=None,
                username=username,
                organisation=supplier_user.organisation,
                role=role,
                password="a long demo passphrase",
            )
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_it_records_a_reset_by_someone_else_apart_from_a_change(secas_admin, supplier_user):
    user_reset_password(user=supplier_user, new_password="reset by secas 2026", actor=secas_admin)
    supplier_user.refresh_from_db()
    assert supplier_user.check_password("reset by secas 2026")
    event = AuditEvent.objects.get(verb="accounts.password_reset")
    assert (event.actor, event.target_id) == (secas_admin, str(supplier_user.pk))
    assert "reset by secas" not in str(event.data)
    assert supplier_user.password not in str(event.data)


def _state(model):
    """Every row of `model` and the audit log's length, to show a refusal wrote nothing."""
    return list(model.objects.order_by("pk").values()), AuditEvent.objects.count()


def test_it_updates_an_organisation_and_records_only_the_change(secas_admin):
    organisation = OrganisationFactory(name="Plover", category=PartyCategory.SMALL_SUPPLIER)
    changes = {"name": "Plover Energy", "category": PartyCategory.SMALL_SUPPLIER}
    organisation_update(organisation=organisation, changes=changes, actor=secas_admin)
    organisation.refresh_from_db()
    assert organisation.name == "Plover Energy"
    event = AuditEvent.objects.get(verb="accounts.organisation_changed")
    assert (event.actor, event.data) == (secas_admin, {"name": "Plover Energy"})
    organisation_update(organisation=organisation, changes=changes, actor=secas_admin)
    assert AuditEvent.objects.filter(verb="accounts.organisation_changed").count() == 1


@pytest.mark.parametrize(
    ("field", "changes"),
    [("slug", {"slug": "taken"}), ("category", {"category": "retailer"}), ("name", {"name": ""})],
)
def test_it_refuses_a_bad_organisation_update_and_writes_nothing(secas_admin, field, changes):
    OrganisationFactory(name="Taken Ltd", slug="taken")
    organisation = OrganisationFactory(name="Plover")
    before = _state(Organisation)
    with pytest.raises(ValidationError) as refusal:
        organisation_update(organisation=organisation, changes=changes, actor=secas_admin)
    assert field in refusal.value.message_dict
    assert _state(Organisation) == before


def test_it_refuses_a_field_the_admin_may_not_edit(secas_admin, supplier_user):
    before = _state(User)
    with pytest.raises(ValueError, match="password"):
        user_update(user=supplier_user, changes={"password": "x"}, actor=secas_admin)
    assert _state(User) == before


def test_it_updates_a_user_and_records_the_change(secas_admin, supplier_user):
    target = OrganisationFactory(name="New Home")
    changes = {"organisation": target, "role": Role.COORDINATOR, "email": supplier_user.email}
    user_update(user=supplier_user, changes=changes, actor=secas_admin)
    supplier_user.refresh_from_db()
    assert (supplier_user.organisation, supplier_user.role) == (target, Role.COORDINATOR)
    event = AuditEvent.objects.get(verb="accounts.user_changed")
    assert event.data == {"organisation": target.pk, "role": Role.COORDINATOR}
    assert audit_verify_chain().ok


def test_it_lets_only_a_superuser_change_superuser_powers(secas_admin, supplier_user):
    group = Group.objects.create(name="editors")
    before = _state(User)
    for changes in ({"is_superuser": True}, {"groups": [group], "role": Role.ADMINISTRATOR}):
        with pytest.raises(PermissionDenied):
            user_update(user=supplier_user, changes=changes, actor=secas_admin)
    assert _state(User) == before
    assert not supplier_user.groups.exists()
    root = UserFactory(is_superuser=True)
    user_update(user=supplier_user, changes={"groups": Group.objects.all()}, actor=root)
    assert list(supplier_user.groups.all()) == [group]
    event = AuditEvent.objects.get(verb="accounts.user_changed")
    assert (event.actor, event.data) == (root, {"groups": [group.pk]})


def test_it_refuses_a_taken_username_on_update_and_writes_nothing(secas_admin, supplier_user):
    before = _state(User)
    changes = {"username": secas_admin.username, "role": Role.VIEWER}
    with pytest.raises(ValidationError) as refusal:
        user_update(user=supplier_user, changes=changes, actor=secas_admin)
    assert "username" in refusal.value.message_dict
    assert _state(User) == before


def test_it_deletes_an_organisation_and_records_it(secas_admin):
    doomed = OrganisationFactory(name="Doomed", slug="doomed")
    organisation_delete(organisation=doomed, actor=secas_admin)
    assert not Organisation.objects.filter(name="Doomed").exists()
    event = AuditEvent.objects.get(verb="accounts.organisation_deleted")
    assert event.data == {"name": "Doomed", "slug": "doomed"}


def test_it_refuses_to_delete_an_organisation_with_users_and_writes_nothing(
    secas_admin, supplier_user
):
    before = _state(Organisation)
    with pytest.raises(ProtectedError):
        organisation_delete(organisation=supplier_user.organisation, actor=secas_admin)
    assert _state(Organisation) == before


def test_it_deletes_a_user_and_records_it(secas_admin):
    doomed = UserFactory(username="leaver")
    doomed_id = str(doomed.pk)
    user_delete(user=doomed, actor=secas_admin)
    assert not User.objects.filter(username="leaver").exists()
    event = AuditEvent.objects.get(verb="accounts.user_deleted")
    assert (event.target_id, event.data) == (doomed_id, {"username": "leaver"})


def test_it_refuses_to_delete_a_user_the_log_names_and_writes_nothing(secas_admin, supplier_user):
    token_create(user=supplier_user, name="ci", expires_in_days=7)
    before = _state(User)
    with pytest.raises(ProtectedError):
        user_delete(user=supplier_user, actor=secas_admin)
    assert _state(User) == before


def test_it_records_disabling_a_password(secas_admin, supplier_user):
    user_reset_password(user=supplier_user, new_password=None, actor=secas_admin)
    supplier_user.refresh_from_db()
    assert not supplier_user.has_usable_password()
    event = AuditEvent.objects.get(verb="accounts.password_reset")
    assert event.data == {"username": supplier_user.username, "password_disabled": True}
