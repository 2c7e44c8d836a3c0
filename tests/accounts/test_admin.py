from __future__ import annotations

import pytest
from django.contrib.admin import site
from django.db.models import ProtectedError
from django.urls import reverse

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.audit.models import AuditEvent
from kir.audit.services import audit_verify_chain
from tests.factories import ManufacturerFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def secas_staff(db):
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    return UserFactory(
        username="secas-staff", organisation=secas, role=Role.ADMINISTRATOR, is_staff=True
    )


@pytest.fixture
def admin_client(client, secas_staff):
    client.force_login(secas_staff)
    return client


def _org_form(name: str, category: str = PartyCategory.SMALL_SUPPLIER) -> dict[str, str]:
    return {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "category": category,
        "contact_email": "ops@example.org",
        "manufacturers-TOTAL_FORMS": "0",
        "manufacturers-INITIAL_FORMS": "0",
    }


def test_it_creates_an_organisation_and_records_it(admin_client, secas_staff):
    response = admin_client.post(reverse("admin:accounts_organisation_add"), _org_form("New Co"))
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Organisation.objects.get(name="New Co")
    event = AuditEvent.objects.get(verb="accounts.organisation_created")
    assert event.target_id == str(organisation.pk)
    assert event.actor == secas_staff
    assert event.data["category"] == "small_supplier"
    assert event.data["via"] == "admin"
    assert audit_verify_chain().ok


def test_it_lists_an_organisations_manufacturers_read_only(admin_client):
    maker = OrganisationFactory(name="Maker", category=PartyCategory.MANUFACTURER)
    ManufacturerFactory(identifier="1A2B", name="Maker Meters", organisation=maker)
    page = admin_client.get(reverse("admin:accounts_organisation_change", args=[maker.pk]))
    html = page.content.decode()
    assert "Maker Meters" in html
    assert 'name="manufacturers-0-name"' not in html


def test_it_changes_a_users_organisation_and_role_and_records_it(admin_client):
    user = UserFactory(username="moving", role=Role.VIEWER)
    target = OrganisationFactory(name="Target Org")
    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert 'name="organisation"' in page.content.decode()
    assert 'name="role"' in page.content.decode()
    data = {
        "username": "moving",
        "email": user.email,
        "organisation": str(target.pk),
        "role": Role.COORDINATOR,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    response = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.organisation, user.role) == (target, Role.COORDINATOR)
    event = AuditEvent.objects.get(verb="accounts.user_changed")
    assert event.data["organisation"] == target.pk
    assert event.data["role"] == "coordinator"
    assert "password" not in event.data


def test_it_creates_a_user_without_logging_the_password(admin_client):
    organisation = OrganisationFactory(name="Home Org")
    secret = "a very private passphrase 99"
    data = {
        "username": "newbie",
        "usable_password": "true",
        "password1": secret,
        "password2": secret,
        "email": "newbie@example.org",
        "organisation": str(organisation.pk),
        "role": Role.CONTRIBUTOR,
    }
    response = admin_client.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newbie")
    assert user.check_password(secret)
    event = AuditEvent.objects.get(verb="accounts.user_created")
    assert event.data["role"] == "contributor"
    assert secret not in str(event.data)
    assert user.password not in str(event.data)


def test_it_records_deleting_an_organisation(admin_client):
    doomed = OrganisationFactory(name="Doomed")
    url = reverse("admin:accounts_organisation_delete", args=[doomed.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=doomed.pk).exists()
    event = AuditEvent.objects.get(verb="accounts.organisation_deleted")
    assert event.data["name"] == "Doomed"


def test_it_keeps_superuser_powers_read_only_for_secas_administrators(admin_client):
    user = UserFactory(username="plain")
    html = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="is_staff"' in html


def test_it_refuses_the_admin_to_staff_of_other_organisations(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_staff=True))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_organisation_changelist")).status_code == 403


def test_it_refuses_the_admin_to_secas_staff_below_administrator(client):
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    client.force_login(UserFactory(organisation=secas, role=Role.COORDINATOR, is_staff=True))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_it_sends_non_staff_to_the_admin_login(client, secas_admin):
    client.force_login(secas_admin)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_shows_tokens_to_secas_staff_without_any_write(admin_client):
    assert admin_client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403


def test_it_records_only_what_an_organisation_change_changed(admin_client, secas_staff):
    organisation = OrganisationFactory(name="Old Name", category=PartyCategory.SMALL_SUPPLIER)
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    form = {**_org_form("New Name"), "slug": organisation.slug}
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation.refresh_from_db()
    assert organisation.name == "New Name"
    event = AuditEvent.objects.get(verb="accounts.organisation_changed")
    assert (event.actor, event.target_id) == (secas_staff, str(organisation.pk))
    assert event.data["via"] == "admin"
    assert event.data["name"] == "New Name"
    assert "slug" not in event.data and "category" not in event.data
    assert admin_client.post(url, form).status_code == 302
    assert AuditEvent.objects.filter(verb="accounts.organisation_changed").count() == 1
    assert audit_verify_chain().ok


def test_it_writes_nothing_for_an_invalid_organisation_form(admin_client):
    OrganisationFactory(name="Taken", slug="taken")
    before = AuditEvent.objects.count()
    response = admin_client.post(
        reverse("admin:accounts_organisation_add"), {**_org_form("Fresh"), "slug": "taken"}
    )
    assert response.status_code == 200
    assert not Organisation.objects.filter(name="Fresh").exists()
    assert AuditEvent.objects.count() == before


def test_it_creates_a_user_without_a_usable_password(admin_client):
    data = {
        "username": "sso-only",
        "usable_password": "false",
        "organisation": str(OrganisationFactory().pk),
        "role": Role.VIEWER,
    }
    response = admin_client.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not User.objects.get(username="sso-only").has_usable_password()
    event = AuditEvent.objects.get(verb="accounts.user_created")
    assert (event.data["username"], event.data["via"]) == ("sso-only", "admin")


def test_it_records_deleting_a_user(admin_client, secas_staff):
    doomed = UserFactory(username="leaver")
    response = admin_client.post(
        reverse("admin:accounts_user_delete", args=[doomed.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=doomed.pk).exists()
    event = AuditEvent.objects.get(verb="accounts.user_deleted")
    assert (event.actor, event.target_id) == (secas_staff, str(doomed.pk))
    assert event.data == {"via": "admin", "username": "leaver"}


def test_it_records_each_organisation_of_a_bulk_deletion(admin_client):
    doomed = [OrganisationFactory(name="Gone A"), OrganisationFactory(name="Gone B")]
    bulk = {
        "action": "delete_selected",
        "_selected_action": [o.pk for o in doomed],
        "post": "yes",
    }
    response = admin_client.post(reverse("admin:accounts_organisation_changelist"), bulk)
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk__in=[o.pk for o in doomed]).exists()
    events = AuditEvent.objects.filter(verb="accounts.organisation_deleted")
    assert sorted(e.data["name"] for e in events) == ["Gone A", "Gone B"]
    assert audit_verify_chain().ok


def test_it_deletes_none_of_a_bulk_deletion_refused_part_way(rf, secas_staff):
    # The admin's own page lists protected rows first; this is a row gaining a user meanwhile.
    first, second = OrganisationFactory(name="A Gone"), OrganisationFactory(name="B Staffed")
    UserFactory(organisation=second)
    before = AuditEvent.objects.count()
    request = rf.post("/")
    request.user = secas_staff
    queryset = Organisation.objects.filter(pk__in=[first.pk, second.pk]).order_by("name")
    with pytest.raises(ProtectedError):
        site.get_model_admin(Organisation).delete_queryset(request, queryset)
    assert Organisation.objects.filter(pk=first.pk).exists()
    assert AuditEvent.objects.count() == before


def test_it_refuses_to_delete_an_organisation_with_users_and_writes_nothing(admin_client):
    kept = OrganisationFactory(name="Still Staffed")
    UserFactory(organisation=kept)
    before = AuditEvent.objects.count()
    url = reverse("admin:accounts_organisation_delete", args=[kept.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert "Cannot delete" in response.content.decode()
    assert Organisation.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.count() == before


def test_it_resets_a_password_through_the_service(admin_client, secas_staff):
    user = UserFactory(username="forgetful")
    secret = "a fresh admin-set passphrase 7"
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client.post(
        url, {"usable_password": "true", "password1": secret, "password2": secret}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.check_password(secret)
    event = AuditEvent.objects.get(verb="accounts.password_reset")
    assert (event.actor, event.target_id) == (secas_staff, str(user.pk))
    assert event.data == {"via": "admin", "username": "forgetful"}
    assert secret not in str(event.data) and user.password not in str(event.data)


def test_it_records_disabling_password_sign_in(admin_client):
    user = UserFactory(username="to-sso")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(verb="accounts.password_reset")
    assert event.data["password_disabled"] is True


def test_it_writes_nothing_for_mismatched_passwords(admin_client):
    user = UserFactory(username="steady")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    form = {"usable_password": "true", "password1": "one long phrase 1", "password2": "other 2"}
    assert admin_client.post(url, form).status_code == 200
    assert not AuditEvent.objects.filter(verb="accounts.password_reset").exists()
