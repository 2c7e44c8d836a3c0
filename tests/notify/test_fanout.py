"""Publication, correction, dispute and withdrawal notices: one job in the step's transaction,
expanded by the worker into an e-mail and a notification per user who may see the issue,
delivered to a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from kir.notify.mailing import read_unsubscribe_token
from kir.notify.messages import fanout_enqueue
from kir.notify.models import MailPreferences, Notification, PublicationMail, Subscription
from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
from kir.register import services
from kir.register.models import Issue, IssueState, ProhibitedPhrase, StatementKind
from tests.factories import EvidenceFactory, UserFactory
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.SITE_URL = "https://kir.example"
    return build_world()


def _mail_to(smtp_server, fragment: str) -> dict[str, object]:
    """recipient address -> message, of the messages whose subject has `fragment`."""
    deliver_due()
    return {mail.recipients[0]: mail for mail in smtp_server.received if fragment in mail.subject}


def test_it_queues_one_job_in_the_publishing_step_whatever_the_audience(world):
    for n in range(30):
        UserFactory(username=f"many-{n}", organisation=world.organisations["other_supplier"])
    issue = world.take(world.issue_in(IssueState.MANUFACTURER_NOTIFIED), "propose_publication")
    before = set(Job.objects.values_list("pk", flat=True))
    world.take(issue, "publish")
    # Other side effects of a publication (its CSAF document, webhook events) are one job each
    # too; what must not happen is a job per recipient.
    kinds = sorted(job.kind for job in Job.objects.exclude(pk__in=before))
    assert kinds.count("fanout") == 1
    assert "email" not in kinds and "notification" not in kinds
    assert len(kinds) == len(set(kinds))


def test_it_emails_every_user_who_may_see_a_published_issue(world, smtp_server):
    issue = world.issue_in(IssueState.PUBLISHED)
    mails = _mail_to(smtp_server, f"{issue.human_id} published")
    assert set(mails) == {user.email for user in world.users.values()}
    mail = mails[world.users["other_supplier_contributor"].email]
    assert f"https://kir.example/issues/{issue.human_id}/" in mail.body
    assert f'href="https://kir.example/issues/{issue.human_id}/"' in mail.html
    assert "Acme Flex" in mail.body and issue.summary in mail.body


def test_its_publication_notices_carry_one_click_unsubscribe(world, smtp_server):
    issue = world.issue_in(IssueState.PUBLISHED)
    user = world.users["reporter_viewer"]
    mail = _mail_to(smtp_server, f"{issue.human_id} published")[user.email]
    header = str(mail.message["List-Unsubscribe"]).strip()
    assert header.startswith("<https://kir.example/notifications/unsubscribe/")
    assert str(mail.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    token = header.strip("<>").rstrip("/").rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (user.pk, "publications")
    assert header.strip("<>") in mail.body


def test_it_tells_no_one_of_an_issue_they_may_not_see(world, smtp_server):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    fanout_enqueue(key="forced", event="published", issue=issue)  # as if published, it is not
    deliver_due()
    told = set(Notification.objects.filter(key="forced").values_list("user__username", flat=True))
    mailed = set(_mail_to(smtp_server, issue.human_id))
    outsiders = {"w-other_supplier_contributor", "w-manufacturer_contributor"}
    assert told and not told & outsiders
    assert not mailed & {world.users[p].email for p in ("other_supplier_contributor",)}
    assert world.users["manufacturer_contributor"].email not in mailed


def test_a_draft_reaches_no_other_organisation(world, smtp_server):
    issue = world.draft()
    fanout_enqueue(key="draft", event="published", issue=issue)
    deliver_due()
    told = set(
        Notification.objects.filter(key="draft").values_list("user__organisation", flat=True)
    )
    allowed = {world.organisations[k].pk for k in ("reporter", "dcc", "secas")}
    assert told and told <= allowed
    mailed = set(_mail_to(smtp_server, issue.human_id))
    assert mailed <= {u.email for u in world.users.values() if u.organisation_id in allowed}


def test_it_never_carries_installation_level_evidence(world, smtp_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = world.issue_in(IssueState.PUBLISHED)
    EvidenceFactory(
        issue=issue,
        description="Devices 00-DB-12-34-56-78-90-A0 and more",
        installation_level=True,
    )
    fanout_enqueue(key="again", event="published", issue=issue)
    deliver_due()
    for mail in smtp_server.received:
        assert "00-DB-12-34-56-78-90-A0" not in mail.body + mail.html
        assert "Alert counts per region" not in mail.body


def test_subscribers_only_hear_of_what_they_follow(world, smtp_server):
    follower = UserFactory(username="follower", organisation=world.organisations["other_supplier"])
    bystander = UserFactory(
        username="bystander", organisation=world.organisations["other_supplier"]
    )
    for user in (follower, bystander):
        MailPreferences.objects.create(user=user, publications=PublicationMail.SUBSCRIBED)
    maker = world.version.device_model.manufacturer
    Subscription.objects.create(user=follower, kind="manufacturer", value=str(maker.pk))
    Subscription.objects.create(user=bystander, kind="region", value="south")
    issue = world.issue_in(IssueState.PUBLISHED)
    mails = _mail_to(smtp_server, f"{issue.human_id} published")
    assert follower.email in mails and bystander.email not in mails
    assert "manufacturer Acme Meters Ltd" in mails[follower.email].body
    [note] = Notification.objects.filter(user=follower, issue=issue)
    assert "(you follow manufacturer Acme Meters Ltd)" in note.title
    assert Notification.objects.filter(user=bystander, issue=issue).exists()  # in the app, always


def test_a_user_who_wants_none_gets_no_publication_mail(world, smtp_server):
    user = world.users["reporter_viewer"]
    MailPreferences.objects.create(user=user, publications=PublicationMail.NONE)
    issue = world.issue_in(IssueState.PUBLISHED)
    assert user.email not in _mail_to(smtp_server, f"{issue.human_id} published")


def test_a_withdrawal_is_statutory_to_the_organisations_involved(world, smtp_server):
    reporter = world.users["reporter_viewer"]
    outsider = world.users["other_supplier_contributor"]
    for user in (reporter, outsider):
        MailPreferences.objects.create(user=user, publications=PublicationMail.NONE)
    issue = world.issue_in(IssueState.PUBLISHED)
    world.take(issue, "withdraw", reason="The observation was a test rig")
    mails = _mail_to(smtp_server, f"{issue.human_id} withdrawn")
    assert outsider.email not in mails
    mail = mails[reporter.email]
    assert mail.message["List-Unsubscribe"] is None
    assert "The observation was a test rig" in mail.body
    assert "whatever their e-mail" in mail.body  # says why it came
    assert "List-Unsubscribe" in str(mails[world.users["dcc_contributor"].email].message)


def test_a_correction_of_a_published_statement_is_a_notice(world, smtp_server):
    issue = world.issue_in(IssueState.PUBLISHED)
    first = services.statement_add(
        issue=issue, actor=world.maker, kind=StatementKind.WORKAROUND, text="Restart the hub."
    )
    assert not _mail_to(smtp_server, "corrected")
    services.statement_add(
        issue=issue,
        actor=world.maker,
        kind=StatementKind.WORKAROUND,
        text="Restart the hub, then wait ten minutes.",
        supersedes=first,
    )
    mails = _mail_to(smtp_server, f"{issue.human_id} corrected")
    assert "then wait ten minutes" in mails[world.users["other_supplier_contributor"].email].body


def test_a_dispute_of_a_published_issue_is_a_notice(world, smtp_server):
    issue = world.issue_in(IssueState.PUBLISHED)
    services.manufacturer_dispute(
        issue=issue, actor=world.maker, rationale="The alerts come from a test configuration."
    )
    mails = _mail_to(smtp_server, f"{issue.human_id} disputed")
    assert "test configuration" in mails[world.users["dcc_contributor"].email].body


def test_it_sends_nothing_that_fails_the_neutral_language_check(world, smtp_server):
    ProhibitedPhrase.objects.get_or_create(phrase="defective", defaults={"active": True})
    issue = world.issue_in(IssueState.PUBLISHED)
    deliver_due()
    smtp_server.received.clear()
    Issue.objects.filter(pk=issue.pk).update(title="Defective meters")
    job = fanout_enqueue(key="unneutral", event="published", issue=issue)
    deliver_due()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and '"Defective"' in job.last_error
    assert not smtp_server.received
    assert not Notification.objects.filter(key="unneutral").exists()


def test_a_job_run_twice_delivers_each_notice_once(world, smtp_server):
    world.issue_in(IssueState.PUBLISHED)
    deliver_due()
    job = Job.objects.get(kind="fanout")
    from kir.notify.fanout import expand

    expand(job)  # as a worker that died after the expansion's commit would run it again
    emails = Job.objects.filter(key__startswith=f"{job.key}.mail.")
    assert emails.count() == len(world.users)
    assert Notification.objects.filter(key=job.key).count() == len(world.users)


def test_an_estate_subscriber_hears_which_of_its_lines_an_issue_touches(world, smtp_server):
    from kir.exports.estate_input import EstateLine
    from kir.exports.estate_services import estate_save

    saver = world.users["other_supplier_contributor"]
    follower = UserFactory(username="follower", organisation=world.organisations["other_supplier"])
    # Another organisation's user with a subscription row naming the same estate (the page
    # refuses it; written directly here): someone else's estate tells it nothing.
    outsider = world.users["reporter_viewer"]
    estate = estate_save(
        actor=saver,
        name="Northern depot",
        lines=[
            EstateLine("1A2B", "00012345", "01020304", installations=1200),
            EstateLine("1A2B", "00012345", "0A0B0C0D"),  # a firmware no issue names
        ],
    )
    for user in (follower, outsider):
        MailPreferences.objects.create(user=user, publications=PublicationMail.SUBSCRIBED)
        Subscription.objects.create(user=user, kind="estate", value=str(estate.pk))
    issue = world.issue_in(IssueState.PUBLISHED)
    mails = _mail_to(smtp_server, f"{issue.human_id} published")
    assert follower.email in mails and outsider.email not in mails
    body = " ".join(mails[follower.email].body.split())
    assert "your estate Northern depot: 1A2B 00012345 firmware 01020304" in body
    assert "0A0B0C0D" not in body
    [note] = Notification.objects.filter(user=follower, issue=issue)
    assert "your estate Northern depot" in note.title
