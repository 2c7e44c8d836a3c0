"""The register's demo issues: every state, a dispute, a withdrawal, a challenged root cause."""

from __future__ import annotations

import pytest

from kir.audit.services import audit_verify_chain
from kir.register.demo import DEMO_ISSUES, seed_register_demo
from kir.register.models import (
    Issue,
    IssueState,
    Publication,
    Statement,
    StatementKind,
)
from kir.web.demo.seed import seed_demo


@pytest.fixture
def seeded(db, settings):
    settings.KIR_DEMO = True
    return seed_demo()


def test_it_makes_an_issue_in_every_state(seeded):
    assert set(Issue.objects.values_list("state", flat=True)) == set(IssueState.values)
    assert Issue.objects.count() == len(DEMO_ISSUES)
    assert seeded.register.startswith(f"{len(DEMO_ISSUES)} issues created")


def test_it_includes_a_disputed_a_withdrawn_and_a_challenged_root_cause(seeded):
    disputed = [issue for issue in Issue.objects.all() if issue.is_disputed]
    assert len(disputed) == 1 and disputed[0].state == IssueState.PUBLISHED
    assert Issue.objects.filter(state=IssueState.WITHDRAWN).count() == 1
    challenged = Statement.objects.filter(
        kind=StatementKind.ROOT_CAUSE, challenged_by__isnull=False
    )
    assert challenged.count() == 1


def test_it_publishes_through_two_administrators(seeded):
    for record in Publication.objects.filter(status="approved"):
        assert record.proposed_by != record.approved_by
        assert record.snapshot["policy_version"] == 1


def test_it_changes_nothing_when_run_again(seeded):
    before = Issue.objects.count(), Statement.objects.count()
    assert seed_register_demo() == f"all {len(DEMO_ISSUES)} demo issues already present"
    assert (Issue.objects.count(), Statement.objects.count()) == before
    assert audit_verify_chain().ok
