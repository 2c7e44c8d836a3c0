"""What the pages offer equals what the services allow: every role of every kind of organisation,
over an issue in every state.

For each user who can see the issue, each predicate the views ask (kir.register.permissions, and
the statement kinds the form offers) is compared with the real service call, run inside a
savepoint that is always rolled back: the predicate must say yes exactly when the service does
not refuse with PermissionRefused or ValidationFailed. The inputs are valid, so a refusal can only
come from who is acting or the issue's state. Every mismatch of a state is reported together.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from kir.accounts.models import Role, User
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import (
    Category,
    EvidenceLevel,
    ImpactLevel,
    Issue,
    IssueState,
    ProhibitedPhrase,
    StatementKind,
)
from kir.register.permissions import (
    may_add_statement,
    may_edit_issue,
    may_edit_policy,
    may_override_language_on,
    may_report,
    may_respond_as_manufacturer,
    may_upload_evidence,
)
from kir.register.presenters import statement_kinds_for
from kir.register.selectors import issues_visible_to
from kir.register.services import (
    evidence_add,
    issue_create_draft,
    issue_update,
    language_override,
    manufacturer_acknowledge,
    policy_update,
    statement_add,
)
from tests.register.cast import ORGANISATIONS, build_cast

pytestmark = pytest.mark.django_db

USERS = list(itertools.product([key for key, _ in ORGANISATIONS], Role.values))
FLAGGED = "faulty"


class _RolledBack(Exception):
    pass


def refused(service: Callable[[User, Issue], object], user: User, issue: Issue) -> bool:
    """Whether the service refuses; what it writes when it does not is rolled back."""
    try:
        with transaction.atomic():
            service(user, Issue.objects.get(pk=issue.pk))
            raise _RolledBack
    except _RolledBack:
        return False
    except (PermissionRefused, ValidationFailed):
        return True


def offers_manufacturer_response(user: User, issue: Issue) -> bool:
    kinds = {value for value, _ in statement_kinds_for(user=user, issue=issue)}
    return StatementKind.MANUFACTURER_RESPONSE in kinds


@dataclass(frozen=True)
class Action:
    name: str
    offered: Callable[[User, Issue], bool]
    service: Callable[[User, Issue], object]


ACTIONS = [
    Action(
        "report",
        lambda user, issue: may_report(user),
        lambda user, issue: issue_create_draft(
            actor=user, title="Relay chatter", summary="Seen.", category=Category.COMMUNICATIONS
        ),
    ),
    Action(
        "edit",
        may_edit_issue,
        lambda user, issue: issue_update(
            issue=issue, actor=user, expected_version=issue.version, summary="Seen twice."
        ),
    ),
    Action(
        "add a statement",
        may_add_statement,
        lambda user, issue: statement_add(
            issue=issue, actor=user, kind=StatementKind.OBSERVATION, text="Seen on site too."
        ),
    ),
    Action(
        "add a manufacturer response",
        offers_manufacturer_response,
        lambda user, issue: statement_add(
            issue=issue,
            actor=user,
            kind=StatementKind.MANUFACTURER_RESPONSE,
            text="We are investigating.",
        ),
    ),
    Action(
        "respond as manufacturer",
        may_respond_as_manufacturer,
        lambda user, issue: manufacturer_acknowledge(issue=issue, actor=user),
    ),
    Action(
        "upload evidence",
        may_upload_evidence,
        lambda user, issue: evidence_add(
            issue=issue, actor=user, file=ContentFile(b"log", name="log.txt"), description="Log."
        ),
    ),
    Action(
        "edit the policy",
        lambda user, issue: may_edit_policy(user),
        lambda user, issue: policy_update(
            actor=user,
            minimum_evidence_level=EvidenceLevel.REPORTED,
            minimum_impact_level=ImpactLevel.LOW,
            notice_period_business_days=10,
            second_approver_required=True,
        ),
    ),
    Action(
        "override the language check",
        lambda user, issue: may_override_language_on(user, issue),
        lambda user, issue: language_override(
            issue=issue, actor=user, field="title", phrase=FLAGGED, justification="Quoted."
        ),
    ),
]


@pytest.mark.parametrize("state", IssueState.values)
def test_every_offer_matches_what_its_service_allows(state, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ProhibitedPhrase.objects.get_or_create(phrase=FLAGGED)
    cast = build_cast()
    issue = cast.issue(state, title=f"A {FLAGGED} relay")
    mismatches, answers = [], set()
    for key, role in USERS:
        user = cast.user(key, role)
        if not issues_visible_to(user=user).filter(pk=issue.pk).exists():
            continue  # the views answer 404 before asking anything
        for action in ACTIONS:
            offered = action.offered(user, Issue.objects.get(pk=issue.pk))
            allowed = not refused(action.service, user, issue)
            answers.add((action.name, allowed))
            if offered != allowed:
                verdict = "allows" if allowed else "refuses"
                mismatches.append(f"{key} {role}: {action.name}: offered={offered}, {verdict}")
    assert not mismatches, f"{state}:\n" + "\n".join(mismatches)
    # SECAS administrators may do everything the state allows and viewers nothing, so both
    # answers must have come up; otherwise the comparison proved nothing.
    assert {allowed for _, allowed in answers} == {True, False}
