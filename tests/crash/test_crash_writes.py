"""`kill -9` in the middle of a CPL import, an issue publication and an audit write, on whichever
database the suite runs on (scripts/run_tests.py runs SQLite, then PostgreSQL): afterwards
nothing is half-written, `kir audit verify` holds, and the same command run again completes.

Each child is killed by tests/crash/points.py right after a chosen SQL statement has run inside
its transaction, so the point of death is the same on every run."""

from __future__ import annotations

import sys

import pytest

from kir.audit.models import AuditEvent
from kir.catalogue.models import DeviceModel, DeviceVersion, Manufacturer
from kir.outbox.models import Job
from kir.register.models import Issue, IssueState, StateChange
from kir.register.services import manufacturer_acknowledge
from tests.catalogue.cplfiles import write_many
from tests.outbox.processes import Children
from tests.register.services.conftest import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WAIT_SECONDS = 120
CPL_ROWS = 60

_CHILD = """
import django
django.setup()
from tests.crash.points import kill_after_sql
if {kill!r}:
    kill_after_sql(*{kill!r})
{code}
"""


@pytest.fixture
def children(tmp_path):
    started = Children(tmp_path, None)
    yield started
    started.stop_all()


def _run(children: Children, label: str, code: str, kill: tuple[str, str, int] | None) -> int:
    child = children.python(label, _CHILD.format(kill=kill, code=code))
    status = child.wait(WAIT_SECONDS)
    assert status == (-9 if kill else 0), child.output
    return status


def _audit_verifies(children: Children, label: str) -> str:
    check = children.start(label, [sys.executable, "-m", "kir.cli", "audit", "verify"])
    assert check.wait(WAIT_SECONDS) == 0, check.output
    return check.output


def test_a_cpl_import_killed_mid_write_leaves_nothing_and_runs_again(tmp_path, children):
    path = write_many(tmp_path / "cpl.csv", CPL_ROWS, per_model=10, makers=3)
    events = AuditEvent.objects.count()
    code = (
        "from django.core.management import call_command\n"
        f"call_command('catalogue', 'import-cpl', {str(path)!r})"
    )
    _run(children, "killed-import", code, ("INSERT", "catalogue_deviceversion", 1))
    assert (Manufacturer.objects.count(), DeviceModel.objects.count()) == (0, 0)
    assert DeviceVersion.objects.count() == 0
    assert AuditEvent.objects.count() == events
    _audit_verifies(children, "verify-after-kill")

    _run(children, "rerun-import", code, None)
    assert DeviceVersion.objects.count() == CPL_ROWS
    assert f"{AuditEvent.objects.count()} events" in _audit_verifies(children, "verify-after")


def _ready_to_publish() -> tuple[Issue, int]:
    world = build_world()
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    manufacturer_acknowledge(issue=issue, actor=world.maker)
    world.take(issue, "propose_publication")
    return Issue.objects.get(pk=issue.pk), world.second_admin.pk


_PUBLISH = """
from kir.accounts.models import User
from kir.register.models import Issue
from kir.register.services import issue_transition
issue = Issue.objects.get(pk={issue})
issue_transition(issue=issue, actor=User.objects.get(pk={actor}), transition="publish",
                 reason="Approved as read", expected_version={version})
"""


def test_a_publication_killed_before_its_commit_leaves_the_issue_as_it_was(
    children, register_reference_data
):
    issue, approver = _ready_to_publish()
    before = (
        AuditEvent.objects.count(),
        StateChange.objects.count(),
        set(Job.objects.values_list("key", flat=True)),
    )
    code = _PUBLISH.format(issue=issue.pk, actor=approver, version=issue.version)
    _run(children, "killed-publish", code, ("INSERT", "audit_auditevent", 1))
    after = Issue.objects.get(pk=issue.pk)
    assert (after.state, after.version, after.published_at) == (
        IssueState.MANUFACTURER_NOTIFIED,
        issue.version,
        None,
    )
    assert before == (
        AuditEvent.objects.count(),
        StateChange.objects.count(),
        set(Job.objects.values_list("key", flat=True)),
    )
    _audit_verifies(children, "verify-after-kill")

    _run(children, "rerun-publish", code, None)
    assert Issue.objects.get(pk=issue.pk).state == IssueState.PUBLISHED
    assert Job.objects.count() > len(before[2])
    _audit_verifies(children, "verify-after")


_UPSERT = """
from kir.catalogue.services import manufacturer_upsert
manufacturer_upsert(identifier="1D2F", name="Hubline Communications Ltd", actor=None)
"""


def test_an_audit_write_killed_after_its_insert_leaves_the_chain_whole(children):
    events = AuditEvent.objects.count()
    _run(children, "killed-audit", _UPSERT, ("INSERT", "audit_auditevent", 1))
    assert not Manufacturer.objects.exists()
    assert AuditEvent.objects.count() == events
    _audit_verifies(children, "verify-after-kill")

    _run(children, "rerun-audit", _UPSERT, None)
    assert Manufacturer.objects.get().identifier == "1D2F"
    assert AuditEvent.objects.count() == events + 1
    _audit_verifies(children, "verify-after")
