"""/healthz answers whether the database does, and names nothing about the installation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.django_db
def test_it_answers_ok_without_signing_in():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_when_the_database_is_down():
    """A real connection refused: PostgreSQL settings pointing at a port nothing listens on."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='127.0.0.1').get('/healthz'); "
        "print(r.status_code, json.dumps(r.json()))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kir.settings",
        "KIR_INSECURE_TEST_KEY": "1",
        "KIR_SETTINGS_FILE": "",
        "KIR_DATABASE_URL": "postgres://postgres@127.0.0.1:9/unreachable?connect_timeout=2",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, body = done.stdout.strip().split(" ", 1)
    assert status == "503", done.stderr
    assert json.loads(body) == {"status": "unavailable", "database": "unavailable"}
