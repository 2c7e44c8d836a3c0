"""The restore drill of docs/operations.md, run for real: a PostgreSQL register with a seeded
audit chain is dumped with pg_dump, restored into a fresh database with pg_restore, and
`kir audit verify` holds on the copy with every event; a tampered copy fails it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
KIR = [sys.executable, "-m", "kir.cli"]

pytestmark = pytest.mark.slow


def _postgres() -> object:
    import psycopg

    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("KIR_TEST_POSTGRES") == "require":
            raise
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")


def _url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def _kir(database: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "KIR_DATABASE_URL": _url(database),
        "KIR_INSECURE_TEST_KEY": "1",
        "KIR_SETTINGS_FILE": "",
        "KIR_DEMO": "true",
        "KIR_VAR_DIR": str(tmp_path),
        "KIR_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    return subprocess.run(
        [*KIR, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_restored_dump_verifies_and_a_tampered_one_does_not(tmp_path):
    source, copy = f"kir_drill_src_{os.getpid()}", f"kir_drill_copy_{os.getpid()}"
    admin = _postgres()
    try:
        for name in (source, copy):
            admin.execute(f"DROP DATABASE IF EXISTS {name}")  # type: ignore[attr-defined]
            admin.execute(f"CREATE DATABASE {name}")  # type: ignore[attr-defined]
        for step in (["migrate", "--noinput"], ["demo", "seed"]):
            done = _kir(source, *step, tmp_path=tmp_path)
            assert done.returncode == 0, done.stdout + done.stderr
        original = _kir(source, "audit", "verify", tmp_path=tmp_path)
        events = re.search(r"OK: (\d+) events verified", original.stdout)
        assert events and int(events.group(1)) > 10, original.stdout + original.stderr

        dump = tmp_path / "kir.dump"
        base = "postgresql://postgres@127.0.0.1:5432/"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), base + source], check=True)
        subprocess.run(["pg_restore", "--no-owner", "-d", base + copy, str(dump)], check=True)
        restored = _kir(copy, "audit", "verify", tmp_path=tmp_path)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert f"OK: {events.group(1)} events verified" in restored.stdout

        with subprocess.Popen(["psql", "-q", base + copy], stdin=subprocess.PIPE) as psql:
            psql.communicate(b"UPDATE audit_auditevent SET verb = 'x' WHERE id = 3;\n")
        tampered = _kir(copy, "audit", "verify", tmp_path=tmp_path)
        assert tampered.returncode != 0
        assert "BROKEN: event" in tampered.stderr + tampered.stdout
    finally:
        for name in (source, copy):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]
