"""The daily digest: notices held for users who chose one, queued once a day by
`kir notify digest`, whatever the number of runs."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kir.notify.models import Delivery, DigestEntry, MailPreferences
from kir.outbox.worker import deliver_due
from kir.register.models import IssueState
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def test_a_daily_user_gets_one_digest_instead_of_a_message_per_issue(world, smtp_server):
    user = world.users["other_supplier_contributor"]
    MailPreferences.objects.create(user=user, delivery=Delivery.DAILY)
    first = world.issue_in(IssueState.PUBLISHED)
    second = world.issue_in(IssueState.PUBLISHED)
    deliver_due()
    assert not [m for m in smtp_server.received if user.email in m.recipients]
    assert DigestEntry.objects.filter(user=user).count() == 2

    call_command("notify", "digest", "--date", _tomorrow())
    call_command("notify", "digest", "--date", _tomorrow())  # cron ran twice
    deliver_due()
    [digest] = [m for m in smtp_server.received if user.email in m.recipients]
    assert "2 issues published" in digest.subject
    assert f"/issues/{first.human_id}/" in digest.body
    assert f"/issues/{second.human_id}/" in digest.body
    assert digest.message["List-Unsubscribe"] is not None


def test_todays_notices_wait_for_tomorrow(world):
    user = world.users["reporter_viewer"]
    MailPreferences.objects.create(user=user, delivery=Delivery.DAILY)
    world.issue_in(IssueState.PUBLISHED)
    deliver_due()
    call_command("notify", "digest")
    assert DigestEntry.objects.filter(user=user, sent_on=None).count() == 1


def test_it_says_what_date_it_expected():
    with pytest.raises(CommandError, match="expected YYYY-MM-DD"):
        call_command("notify", "digest", "--date", "03/12/2026")
