from __future__ import annotations

import pytest
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
