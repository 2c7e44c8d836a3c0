from __future__ import annotations

import pytest
from django.urls import reverse

from kir.accounts.models import PartyCategory, Role
from kir.audit.events import AuditEventType
from kir.audit.models import AuditEvent
from kir.audit.services import audit_record, audit_verify_chain
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    staff = UserFactory(
        username="secas-staff", organisation=secas, role=Role.ADMINISTRATOR, is_staff=True
    )
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def event(staff_client):
    return audit_record(actor=staff_client.staff, verb=AuditEventType.POLICY_UPDATED, data={"n": 1})


def test_it_lists_and_shows_events_to_secas_staff(staff_client, event):
    listing = staff_client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert "policy.updated" in listing.content.decode()
    assert 'name="action"' not in listing.content.decode()
    detail = staff_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert event.hash in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_it_refuses_to_add_events(staff_client):
    url = reverse("admin:audit_auditevent_add")
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"verb": "forged"}).status_code == 403
    assert not AuditEvent.objects.filter(verb="forged").exists()


def test_it_refuses_to_change_events(staff_client, event):
    url = reverse("admin:audit_auditevent_change", args=[event.pk])
    response = staff_client.post(url, {"verb": "forged", "data": "{}"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.verb == "policy.updated"


def test_it_refuses_to_delete_events(staff_client, event):
    url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:audit_auditevent_changelist")
    bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    staff_client.post(changelist, bulk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert audit_verify_chain().ok


def test_it_hides_the_log_from_staff_who_are_not_secas_administrators(client, event):
    supplier_staff = UserFactory(role=Role.ADMINISTRATOR, is_staff=True)
    client.force_login(supplier_staff)
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 403


def test_it_sends_non_staff_to_the_admin_login(client, secas_admin, event):
    client.force_login(secas_admin)
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
