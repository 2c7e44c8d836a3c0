"""Register steps that tell users in the app: submissions and proposals to SECAS
administrators, publication and withdrawal to every Party."""

from __future__ import annotations

import pytest

from kir.notify.models import Notification
from kir.outbox.worker import deliver_due
from kir.register.models import IssueState
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _told(fragment: str) -> set[str]:
    deliver_due()
    rows = Notification.objects.filter(title__contains=fragment)
    return set(rows.values_list("user__username", flat=True))


def test_a_submission_tells_the_secas_administrators(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    assert _told(f"{issue.human_id} submitted for assessment") == {
        "w-secas_admin",
        "w-secas_admin_2",
    }


def test_a_proposal_tells_the_other_secas_administrators(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    world.take(issue, "propose_publication")  # by w-secas_admin
    assert _told(f"{issue.human_id} proposed for publication by w-secas_admin") == {
        "w-secas_admin_2"
    }


def test_a_publication_tells_every_party_and_a_withdrawal_too(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    everyone = {user.username for user in world.users.values()}
    assert _told(f"Published on the register: {issue.human_id}") == everyone
    world.take(issue, "withdraw")
    assert _told(f"Withdrawn from the register: {issue.human_id}") == everyone


def test_steps_without_a_message_tell_no_one(world):
    world.issue_in(IssueState.REJECTED)
    assert _told("") == set()
