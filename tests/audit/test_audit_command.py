from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kir.audit.events import AuditEventType as E
from kir.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_it_reports_an_empty_chain_as_ok():
    assert _verify().strip() == "OK: 0 events verified"


def test_it_reports_a_good_chain(secas_admin):
    for verb in [E.ISSUE_CREATED, E.ISSUE_UPDATED, E.ISSUE_SUBMITTED]:
        audit_record(actor=secas_admin, verb=verb)
    assert _verify().strip() == "OK: 3 events verified"


def test_it_reports_a_tampered_row(secas_admin):
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    victim = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    audit_record(actor=secas_admin, verb=E.ISSUE_SUBMITTED)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET verb = %s WHERE id = %s", ["z", victim.pk])
    with pytest.raises(CommandError) as broken:
        _verify()
    assert broken.value.returncode == 1
    assert f"event {victim.pk}:" in str(broken.value)
    assert "content does not match its hash" in str(broken.value)


def test_it_reports_a_deleted_row(secas_admin):
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    middle = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    last = audit_record(actor=secas_admin, verb=E.ISSUE_SUBMITTED)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [middle.pk])
    with pytest.raises(CommandError) as broken:
        _verify()
    assert f"event {last.pk}:" in str(broken.value)
    assert "previous_hash" in str(broken.value)


def test_it_requires_an_action():
    with pytest.raises(CommandError):
        call_command("audit")


@pytest.mark.django_db(transaction=True)
def test_it_exits_non_zero_from_the_console_script(secas_admin):
    """The real `kir audit verify` process against the test database (needs one it can open)."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the SQLite test database is in memory; another process cannot open it")
    audit_record(actor=secas_admin, verb=E.ISSUE_CREATED)
    victim = audit_record(actor=secas_admin, verb=E.ISSUE_UPDATED)
    env = _env_for_test_database()
    ok = subprocess.run([*_kir(), "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "OK: 2 events verified"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"x": 1}', victim.pk]
        )
    bad = subprocess.run([*_kir(), "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"BROKEN: event {victim.pk}:" in bad.stderr


def _kir() -> list[str]:
    return [sys.executable, "-m", "kir.cli"]


def _env_for_test_database() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", KIR_INSECURE_TEST_KEY="1")
    if db["ENGINE"].endswith("sqlite3"):
        env["KIR_DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["KIR_DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env
