"""Manufacturer notices (stored and e-mailed, neutrally worded) and the right of reply."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from kir.accounts.models import Role
from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.language import find_prohibited
from kir.register.models import (
    Involvement,
    InvolvementRole,
    InvolvementStatus,
    IssueState,
    ManufacturerNotice,
    ProhibitedPhrase,
    RootCauseStatus,
    Statement,
    StatementKind,
)
from kir.register.policy import add_business_days
from tests.factories import UserFactory


@pytest.fixture
def notified(world, django_capture_on_commit_callbacks):
    UserFactory(
        username="acme-viewer",
        email="viewer@acme.example",
        organisation=world.organisations["manufacturer"],
        role=Role.VIEWER,
    )
    UserFactory(
        username="acme-no-mail",
        email="",
        organisation=world.organisations["manufacturer"],
        role=Role.VIEWER,
    )
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    with django_capture_on_commit_callbacks(execute=True):
        issue = world.take(issue, "notify_manufacturer")
    return issue


def test_it_stores_one_notice_per_manufacturer_organisation(world, notified):
    notice = ManufacturerNotice.objects.get(issue=notified)
    assert notice.organisation == world.organisations["manufacturer"]
    assert notice.respond_by == add_business_days(timezone.localdate(notice.sent_at), 10)
    assert notice.respond_by.weekday() < 5
    involvement = Involvement.objects.get(issue=notified, role=InvolvementRole.MANUFACTURER)
    assert involvement.status == InvolvementStatus.CONTACT_ATTEMPTED
    assert AuditEvent.objects.filter(verb="notice.sent").count() == 1


def test_it_emails_the_organisation_users_and_contact_address(world, notified):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted(
        [
            "w-manufacturer_contributor@example.org",
            "viewer@acme.example",
            world.organisations["manufacturer"].contact_email,
        ]
    )
    assert notified.human_id in message.subject
    html = message.alternatives[0][0]
    assert notified.human_id in html and "<!doctype html>" in html


def test_it_invites_cooperation_and_a_reply_by_a_date(notified):
    message = mail.outbox[0]
    notice = ManufacturerNotice.objects.get(issue=notified)
    respond_by = f"{notice.respond_by.day} {notice.respond_by:%B %Y}"
    assert respond_by in message.subject
    assert f"respond by {respond_by}" in " ".join(message.body.split())
    assert "cooperate in investigating and resolving it" in " ".join(message.body.split())
    assert "Acme Flex" in message.body
    assert notified.summary in message.body
    assert f"/issues/{notified.human_id}/" in message.body
    assert notice.body == message.body


def test_it_words_the_notice_without_asserting_responsibility(notified):
    message = mail.outbox[0]
    phrases = ProhibitedPhrase.objects.values_list("phrase", flat=True)
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert find_prohibited(text, phrases, ["Acme Meters Ltd"]) == []


def test_it_refuses_notifying_while_the_quoted_title_is_not_neutral(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT, title="Alert storms caused by Acme Meters")
    from kir.register.errors import TransitionRefused

    with pytest.raises(TransitionRefused) as refusal:
        world.take(issue, "notify_manufacturer")
    assert "Acme Meters Ltd as the cause" in refusal.value.reasons[0]
    assert not ManufacturerNotice.objects.exists()
    assert mail.outbox == []


def test_it_sends_no_mail_when_the_transaction_rolls_back(
    world, django_capture_on_commit_callbacks
):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.take(issue, "notify_manufacturer")
    assert len(callbacks) == 1
    assert mail.outbox == []


class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_it_keeps_the_notice_when_the_mail_server_is_down(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    with django_capture_on_commit_callbacks(execute=True):
        issue = world.take(issue, "notify_manufacturer")
    assert issue.state == IssueState.MANUFACTURER_NOTIFIED
    assert ManufacturerNotice.objects.filter(issue=issue).count() == 1


def test_it_records_an_acknowledgement(world, notified):
    notice = services.manufacturer_acknowledge(issue=notified, actor=world.maker)
    assert notice.acknowledged_at is not None and notice.responded_at is not None
    involvement = Involvement.objects.get(issue=notified, role=InvolvementRole.MANUFACTURER)
    assert involvement.status == InvolvementStatus.OPEN


def test_it_refuses_replies_from_anyone_but_the_named_manufacturer(world, notified):
    for persona in ("reporter_contributor", "dcc_coordinator", "other_supplier_contributor"):
        with pytest.raises(PermissionRefused):
            services.manufacturer_acknowledge(issue=notified, actor=world.users[persona])


def test_it_marks_a_dispute_everywhere(world, notified):
    statement = services.manufacturer_dispute(
        issue=notified, actor=world.maker, rationale="Our logs show the hub repeats the alert."
    )
    notified.refresh_from_db()
    assert notified.root_cause_status == RootCauseStatus.DISPUTED
    assert notified.is_disputed
    assert statement.kind == StatementKind.MANUFACTURER_RESPONSE
    assert statement.organisation == world.organisations["manufacturer"]
    involvement = Involvement.objects.get(issue=notified, role=InvolvementRole.MANUFACTURER)
    assert involvement.status == InvolvementStatus.DISPUTED
    assert ManufacturerNotice.objects.get(issue=notified).responded_at is not None
    event = AuditEvent.objects.get(verb="issue.disputed")
    assert event.data["root_cause_status"] == ["unknown", "disputed"]


def test_it_needs_a_rationale_for_a_dispute(world, notified):
    with pytest.raises(ValidationFailed):
        services.manufacturer_dispute(issue=notified, actor=world.maker, rationale="  ")
    assert not Statement.objects.exists()


def test_it_counts_a_root_cause_statement_as_a_response(world, notified):
    services.statement_add(
        issue=notified,
        actor=world.maker,
        kind=StatementKind.ROOT_CAUSE,
        text="A retry timer resets on reconnection; fixed in firmware 01020305.",
    )
    assert ManufacturerNotice.objects.get(issue=notified).responded_at is not None
    involvement = Involvement.objects.get(issue=notified, role=InvolvementRole.MANUFACTURER)
    assert involvement.status == InvolvementStatus.IN_PROGRESS


def test_it_counts_the_notice_period_in_business_days_from_the_policy(world):
    services.policy_update(
        actor=world.admin,
        minimum_evidence_level="corroborated",
        minimum_impact_level="moderate",
        notice_period_business_days=3,
        second_approver_required=True,
    )
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    notice = ManufacturerNotice.objects.get(issue=issue)
    assert notice.respond_by == add_business_days(timezone.localdate(notice.sent_at), 3)
    assert notice.respond_by > date(2000, 1, 1)
