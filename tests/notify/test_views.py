"""The notifications page, the header's unread count and the home page's worklists by role."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.notify.models import Notification
from kir.notify.services import notifications_enqueue
from kir.outbox.worker import deliver_due
from kir.register.models import IssueState
from tests.register.services.conftest import build_world, expire_notices

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_counts_unread_in_the_header_and_marks_all_read(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    deliver_due()
    Notification.objects.all().delete()  # the publication notice; this test counts its own
    user = world.users["other_supplier_contributor"]
    for n in (1, 2):
        notifications_enqueue(
            key=f"k.{n}", users=[user], title=f"Note {n} on {issue.human_id}", issue_id=issue.pk
        )
    deliver_due()
    client = _client(user)
    page = client.get("/notifications/").content.decode()
    assert 'aria-label="2 unread"' in page
    assert f"Note 1 on {issue.human_id}" in page and f"Note 2 on {issue.human_id}" in page
    assert client.post("/notifications/read/").status_code == 302
    assert 'unread"' not in client.get("/notifications/").content.decode()
    assert not Notification.objects.filter(user=user, read_at=None).exists()


def test_it_refuses_marking_read_by_get(world):
    assert _client(world.reporter).get("/notifications/read/").status_code == 405


def _section(page: str, slug: str) -> str:
    start = page.find(f'id="worklist-{slug}"')
    assert start >= 0, f"no {slug} worklist"
    return page[start : page.find("</section>", start)]


def test_a_manufacturer_sees_the_notice_awaiting_its_response(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    deliver_due()
    page = _client(world.maker).get("/").content.decode()
    notices = _section(page, "notices")
    assert issue.human_id in notices and "respond by" in notices
    assert issue.human_id in page.split("Latest notifications")[1]  # the in-app notification
    world.take(issue, "propose_publication")  # acknowledges first: no longer awaiting
    assert issue.human_id not in _section(_client(world.maker).get("/").content.decode(), "notices")


def test_secas_sees_assessment_proposals_and_notice_periods(world):
    assessing = world.issue_in(IssueState.UNDER_ASSESSMENT)
    notified = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    expire_notices(notified)
    proposed = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    world.take(proposed, "propose_publication")  # proposed by world.admin
    second = _client(world.second_admin).get("/").content.decode()
    assert assessing.human_id in _section(second, "assessment")
    assert notified.human_id in _section(second, "notice-periods")
    assert proposed.human_id in _section(second, "proposals")
    proposer = _client(world.admin).get("/").content.decode()
    assert proposed.human_id not in _section(proposer, "proposals")  # not its own proposal


def test_a_reporter_sees_its_organisations_issues_and_no_secas_lists(world):
    draft = world.draft()
    page = _client(world.reporter).get("/").content.decode()
    assert draft.human_id in _section(page, "reported")
    for slug in ("assessment", "proposals", "notice-periods", "notices"):
        assert f'id="worklist-{slug}"' not in page


def test_secas_administrators_see_failed_deliveries(world):
    from django.utils import timezone

    from kir.outbox.models import Job, JobState

    world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    Job.objects.filter(kind="email", key__startswith="manufacturer-notice.").update(
        state=JobState.FAILED, finished_at=timezone.now()
    )
    page = _client(world.admin).get("/").content.decode()
    assert 'id="failed-deliveries"' in page and "1 delivery failed" in page
    assert (
        "failed-deliveries" not in _client(world.users["dcc_coordinator"]).get("/").content.decode()
    )


def test_the_header_reads_its_count_once_and_the_feed_key_only_where_a_page_shows_it(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kir.notify.feeds import feed_key_renew, feed_token

    user = world.users["other_supplier_contributor"]
    token = feed_token(feed_key_renew(user=user))
    client = _client(user)
    client.get("/notifications/")  # the session and its user, read once

    def queries(path: str) -> tuple[list[str], str]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(path).content.decode()
        return [q["sql"] for q in captured], body

    catalogue, _ = queries("/catalogue/")
    listing, body = queries("/issues/")
    # base.html shows the count three times (text, label, condition); it is counted once.
    assert sum("notify_notification" in sql for sql in catalogue) == 1
    assert not any("notify_feedkey" in sql for sql in catalogue)
    assert sum("notify_feedkey" in sql for sql in listing) == 1
    assert f"/feeds/{token}/issues.atom" in body
