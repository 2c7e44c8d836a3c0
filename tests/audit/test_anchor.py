"""`kir audit anchor` and `kir audit verify --anchor`: deleting the newest events leaves a valid
chain, which only an anchor kept elsewhere shows to be short."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kir.audit.events import AuditEventType as E
from kir.audit.models import AuditEvent
from kir.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue().strip()


def _anchor_file(tmp_path):
    path = tmp_path / "anchor.txt"
    path.write_text(_run("anchor") + "\n")
    return path


def test_it_prints_the_chains_length_and_head(secas_admin):
    assert _run("anchor") == "kir-audit-anchor v1 count=0 head=" + "0" * 64
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    last = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    assert _run("anchor") == f"kir-audit-anchor v1 count=2 head={last.hash}"


def test_it_holds_an_anchor_as_the_chain_grows(secas_admin, tmp_path):
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    anchor = _anchor_file(tmp_path)
    audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    assert _run("verify", "--anchor", str(anchor)) == (
        "OK: 2 events verified; event 1 is the anchor's head"
    )


def test_it_shows_that_the_newest_events_were_deleted(secas_admin, tmp_path):
    for verb in [E.ISSUE_CREATED, E.ISSUE_UPDATED, E.ISSUE_SUBMITTED]:
        audit_record(actor=secas_admin, verb=verb)
    anchor = _anchor_file(tmp_path)
    AuditEvent.objects.order_by("-id")[0].delete()
    assert _run("verify") == "OK: 2 events verified"  # the chain alone cannot tell
    with pytest.raises(CommandError) as broken:
        _run("verify", "--anchor", str(anchor))
    assert str(broken.value) == (
        "BROKEN: the chain has 2 events, fewer than the 3 of the anchor: "
        "events were removed from its end"
    )


def test_it_shows_a_replaced_tail(secas_admin, tmp_path):
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    anchor = _anchor_file(tmp_path)
    AuditEvent.objects.order_by("-id")[0].delete()
    audit_record(actor=secas_admin, verb=E.ISSUE_SUBMITTED)  # a valid new link in its place
    with pytest.raises(CommandError) as broken:
        _run("verify", "--anchor", str(anchor))
    assert str(broken.value) == "BROKEN: event 2 of the chain is not the anchor's head"


def test_it_names_a_file_that_is_not_an_anchor(tmp_path):
    path = tmp_path / "anchor.txt"
    path.write_text("hello\n")
    with pytest.raises(CommandError) as refused:
        _run("verify", "--anchor", str(path))
    assert str(refused.value).startswith(f"{path}: 'hello' is not an anchor")
