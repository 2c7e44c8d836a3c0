"""In-app notifications: queued with the change, delivered by the worker only to users who may
see the issue, once per delivery, marked read."""

from __future__ import annotations

import pytest

from kir.notify.models import Notification
from kir.notify.selectors import notifications_for, unread_count
from kir.notify.services import notifications_enqueue, notifications_mark_read
from kir.outbox.models import Job
from kir.outbox.worker import deliver_due, run
from kir.register.models import IssueState
from kir.register.services import issue_transition
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _notify(world, issue, personas, key="k.1"):
    return notifications_enqueue(
        key=key,
        users=[world.users[p] for p in personas],
        title=f"About {issue.human_id}",
        issue_id=issue.pk,
        url=f"/issues/{issue.human_id}/",
    )


def test_it_reaches_only_the_users_who_may_see_the_issue(world):
    draft = world.draft()  # seen by its reporter, SECAS and DCC; not by others
    _notify(world, draft, ["reporter_contributor", "other_supplier_contributor", "secas_admin"])
    assert deliver_due() == 1
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"w-reporter_contributor", "w-secas_admin"}


def test_it_delivers_once_when_the_job_runs_twice(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    job = _notify(world, issue, ["other_supplier_contributor"])
    deliver_due()
    job.refresh_from_db()
    run(job)  # as if a worker died after delivering and before recording it
    assert Notification.objects.filter(key="k.1").count() == 1


def test_it_queues_nothing_without_recipients(world):
    assert _notify(world, world.draft(), []) is None
    assert not Job.objects.exists()


def test_it_hides_a_notification_once_its_issue_is_hidden(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    _notify(world, issue, ["reporter_contributor"])
    deliver_due()
    reporter = world.users["reporter_contributor"]
    assert unread_count(user=reporter) == 1
    issue_transition(issue=issue, actor=world.admin, transition="reject", reason="Not an issue")
    # A rejected issue stays visible to its reporter; a user of another organisation never was.
    assert unread_count(user=reporter) == 1
    Notification.objects.create(
        user=world.users["other_supplier_contributor"], key="x", issue=issue, title="t"
    )
    assert notifications_for(user=world.users["other_supplier_contributor"]).count() == 0


def test_it_marks_notifications_read(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    deliver_due()
    Notification.objects.all().delete()  # the publication notice; this test counts its own
    _notify(world, issue, ["other_supplier_contributor"], key="k.1")
    _notify(world, issue, ["other_supplier_contributor"], key="k.2")
    deliver_due()
    user = world.users["other_supplier_contributor"]
    first = Notification.objects.filter(user=user).order_by("id").first()
    assert notifications_mark_read(user=user, ids=[first.pk]) == 1
    assert unread_count(user=user) == 1
    assert notifications_mark_read(user=user) == 1
    assert unread_count(user=user) == 0
    assert notifications_mark_read(user=world.users["reporter_contributor"]) == 0
