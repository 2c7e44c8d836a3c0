"""The register in the admin: read-only records, an editable and audited phrase list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from kir.register.models import IssueState, ProhibitedPhrase
from tests.factories import OrganisationFactory, StatementFactory, UserFactory
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    built = build_world()
    built.admin.is_staff = True
    built.admin.save()
    return built


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def test_it_shows_issues_with_their_timeline_but_no_edit(admin_client, world):
    issue = world.issue_in(IssueState.PUBLISHED)
    listing = admin_client.get(reverse("admin:register_issue_changelist"))
    assert listing.status_code == 200
    assert issue.human_id in listing.content.decode()
    page = admin_client.get(reverse("admin:register_issue_change", args=[issue.pk]))
    assert page.status_code == 200
    assert "notify_manufacturer" in page.content.decode()
    assert admin_client.get(reverse("admin:register_issue_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:register_issue_change", args=[issue.pk]), {"title": "Changed"}
        ).status_code
        == 403
    )


def test_it_never_edits_statements_or_policies(admin_client, world):
    statement = StatementFactory(issue=world.draft())
    url = reverse("admin:register_statement_change", args=[statement.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"text": "Rewritten"}).status_code == 403
    assert admin_client.get(reverse("admin:register_thresholdpolicy_add")).status_code == 403
    assert admin_client.get(reverse("admin:register_statechange_changelist")).status_code == 200


def test_it_adds_changes_and_deletes_phrases_with_audit(admin_client, world):
    response = admin_client.post(
        reverse("admin:register_prohibitedphrase_add"),
        {"phrase": "  not  fit   to use ", "active": "on", "note": "asserts unsuitability"},
    )
    assert response.status_code == 302
    phrase = ProhibitedPhrase.objects.get(phrase="not fit to use")
    assert AuditEvent.objects.filter(verb="language.phrase_created").count() == 1
    admin_client.post(
        reverse("admin:register_prohibitedphrase_change", args=[phrase.pk]),
        {"phrase": "not fit to use", "note": "retired"},
    )
    phrase.refresh_from_db()
    assert not phrase.active
    admin_client.post(
        reverse("admin:register_prohibitedphrase_delete", args=[phrase.pk]), {"post": "yes"}
    )
    assert not ProhibitedPhrase.objects.filter(pk=phrase.pk).exists()
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="language.phrase").values_list("verb", flat=True)
    )
    assert verbs == [
        "language.phrase_created",
        "language.phrase_changed",
        "language.phrase_deleted",
    ]


def test_it_refuses_a_phrase_without_words(admin_client):
    response = admin_client.post(reverse("admin:register_prohibitedphrase_add"), {"phrase": " * "})
    assert response.status_code == 200
    assert "at least one word" in response.content.decode()


def test_it_keeps_other_organisations_staff_out(client):
    supplier = OrganisationFactory(name="Staff Supplier", category=PartyCategory.LARGE_SUPPLIER)
    staff = UserFactory(organisation=supplier, role=Role.ADMINISTRATOR, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:register_issue_changelist")).status_code == 403
    assert client.get(reverse("admin:register_prohibitedphrase_changelist")).status_code == 403
