from __future__ import annotations

import pytest
from django.db import connection

from kir.audit.events import AuditEventType as E
from kir.audit.services import audit_record, audit_verify_chain

pytestmark = pytest.mark.django_db


def test_it_chains_each_event_to_the_previous(secas_admin):
    first = audit_record(actor=secas_admin, verb=E.ISSUE_CREATED, target=("thing", "1"))
    second = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED, data={"n": 2, "é": "ü"})
    assert second.previous_hash == first.hash
    report = audit_verify_chain()
    assert report.ok
    assert report.checked == 2


def test_it_detects_a_row_tampered_with_in_the_database(secas_admin):
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    victim = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED, data={"status": "published"})
    audit_record(actor=secas_admin, verb=E.ISSUE_SUBMITTED)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s WHERE id = %s",
            ['{"status": "draft"}', victim.pk],
        )
    report = audit_verify_chain()
    assert not report.ok
    assert report.broken_at == victim.pk
    assert report.checked == 1


def test_it_detects_a_deleted_link(secas_admin):
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    middle = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    last = audit_record(actor=secas_admin, verb=E.ISSUE_SUBMITTED)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [middle.pk])
    report = audit_verify_chain()
    assert report.broken_at == last.pk
    assert "previous_hash" in report.reason
