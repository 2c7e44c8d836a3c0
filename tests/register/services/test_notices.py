"""Manufacturer notices (stored, queued on the outbox, e-mailed by the worker to a real SMTP
server on loopback, neutrally worded) and the right of reply."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from kir.accounts.models import Role
from kir.audit.models import AuditEvent
from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
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
from tests.mailserver import free_port


@pytest.fixture
def notified(world, smtp_server):
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
    deliver_due()  # the submission's notices to SECAS, in the app and by e-mail
    smtp_server.wait_for(2)
    smtp_server.received.clear()
    issue = world.take(issue, "notify_manufacturer")
    assert deliver_due() == 2  # the notice's e-mail and notification
    return issue


@pytest.fixture
def message(smtp_server, notified):
    [received] = smtp_server.wait_for(1)
    return received


def test_it_stores_one_notice_per_manufacturer_organisation(world, notified):
    notice = ManufacturerNotice.objects.get(issue=notified)
    assert notice.organisation == world.organisations["manufacturer"]
    assert notice.respond_by == add_business_days(timezone.localdate(notice.sent_at), 10)
    assert notice.respond_by.weekday() < 5
    involvement = Involvement.objects.get(issue=notified, role=InvolvementRole.MANUFACTURER)
    assert involvement.status == InvolvementStatus.CONTACT_ATTEMPTED
    assert AuditEvent.objects.filter(verb="notice.sent").count() == 1


def test_it_emails_the_organisation_users_and_contact_address(world, notified, message):
    assert sorted(message.recipients) == sorted(
        [
            "w-manufacturer_contributor@example.org",
            "viewer@acme.example",
            world.organisations["manufacturer"].contact_email,
        ]
    )
    assert notified.human_id in message.subject
    assert notified.human_id in message.html and "<!doctype html>" in message.html
    notice = ManufacturerNotice.objects.get(issue=notified)
    assert message.message_id.startswith(f"<manufacturer-notice.{notice.pk}@")


def test_it_is_statutory_so_it_offers_no_unsubscribe(message):
    assert message.message["List-Unsubscribe"] is None
    assert "/notifications/unsubscribe/" not in message.body


def test_it_tells_the_manufacturers_users_in_the_app(world, notified):
    from kir.notify.selectors import notifications_for

    notice = ManufacturerNotice.objects.get(issue=notified)
    for persona, told in [("manufacturer_contributor", True), ("secas_admin", False)]:
        titles = [n.title for n in notifications_for(user=world.users[persona])]
        assert (notice.subject in titles) == told, persona


def test_it_invites_cooperation_and_a_reply_by_a_date(notified, message):
    notice = ManufacturerNotice.objects.get(issue=notified)
    respond_by = f"{notice.respond_by.day} {notice.respond_by:%B %Y}"
    assert respond_by in message.subject
    assert f"respond by {respond_by}" in " ".join(message.body.split())
    assert "cooperate in investigating and resolving it" in " ".join(message.body.split())
    assert "Acme Flex" in message.body
    assert notified.summary in message.body
    assert f"/issues/{notified.human_id}/" in message.body
    assert notice.body.strip() == message.body.strip()


def test_it_words_the_notice_without_asserting_responsibility(notified, message):
    phrases = ProhibitedPhrase.objects.values_list("phrase", flat=True)
    for text in (message.subject, message.body, message.html):
        assert find_prohibited(text, phrases, ["Acme Meters Ltd"]) == []


def test_it_refuses_notifying_while_the_quoted_title_is_not_neutral(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT, title="Alert storms caused by Acme Meters")
    from kir.register.errors import TransitionRefused

    with pytest.raises(TransitionRefused) as refusal:
        world.take(issue, "notify_manufacturer")
    assert "Acme Meters Ltd as the cause" in refusal.value.reasons[0]
    assert not ManufacturerNotice.objects.exists()
    assert not Job.objects.filter(key__startswith="manufacturer-notice.").exists()


def test_it_queues_no_mail_when_the_transaction_rolls_back(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    with pytest.raises(RuntimeError), transaction.atomic():
        world.take(issue, "notify_manufacturer")
        assert Job.objects.filter(key__startswith="manufacturer-notice.").count() == 2
        raise RuntimeError("the request failed before its transaction committed")
    assert not Job.objects.filter(key__startswith="manufacturer-notice.").exists()
    assert not ManufacturerNotice.objects.exists()


def test_it_keeps_the_notice_and_retries_while_the_mail_server_is_down(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    issue = world.take(world.issue_in(IssueState.UNDER_ASSESSMENT), "notify_manufacturer")
    assert issue.state == IssueState.MANUFACTURER_NOTIFIED
    assert ManufacturerNotice.objects.filter(issue=issue).count() == 1
    assert deliver_due() == 2  # the in-app notifications; the e-mails wait for the relay
    job = Job.objects.get(key__startswith="manufacturer-notice.", kind="email")
    assert job.state == JobState.PENDING and job.attempts == 1
    assert "ConnectionRefusedError" in job.last_error


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
