from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from kir.env import SettingError, envbool, envint, envlist, load_settings_file


def test_it_reads_booleans_in_the_usual_spellings(monkeypatch):
    for raw, expected in [("true", True), ("YES", True), ("1", True), ("off", False), ("0", False)]:
        monkeypatch.setenv("KIR_X", raw)
        assert envbool("KIR_X", not expected) is expected


def test_it_refuses_a_misspelt_boolean_naming_the_variable(monkeypatch):
    monkeypatch.setenv("KIR_X", "ture")
    with pytest.raises(SettingError, match=r"KIR_X='ture'.*true/false"):
        envbool("KIR_X", False)


def test_it_refuses_a_non_integer(monkeypatch):
    monkeypatch.setenv("KIR_PORT", "25a")
    with pytest.raises(SettingError, match="KIR_PORT='25a': expected an integer"):
        envint("KIR_PORT", 25)


def test_it_uses_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("KIR_X", raising=False)
    assert envbool("KIR_X", True) is True
    assert envint("KIR_X", 7) == 7
    assert envlist("KIR_X", ["a"]) == ["a"]


def test_a_settings_file_fills_in_what_the_environment_does_not_set(tmp_path, monkeypatch):
    monkeypatch.delenv("KIR_FROM_FILE", raising=False)
    monkeypatch.setenv("KIR_FROM_ENV", "environment")
    path = tmp_path / "settings.env"
    path.write_text(
        "# written by make demo\n\nKIR_FROM_FILE = file value=with equals\nKIR_FROM_ENV=file\n"
    )
    load_settings_file(path)
    assert os.environ["KIR_FROM_FILE"] == "file value=with equals"
    assert os.environ["KIR_FROM_ENV"] == "environment"
    monkeypatch.delenv("KIR_FROM_FILE")


def test_a_missing_settings_file_changes_nothing(tmp_path):
    before = dict(os.environ)
    load_settings_file(tmp_path / "absent.env")
    assert dict(os.environ) == before


@pytest.mark.parametrize("line", ["KIR_DEBUG", "DJANGO_SECRET=x", "kir_debug=true", "=true"])
def test_a_malformed_settings_line_names_the_file_and_line(tmp_path, monkeypatch, line):
    monkeypatch.delenv("KIR_OK", raising=False)
    path = tmp_path / "settings.env"
    path.write_text(f"KIR_OK=1\n{line}\n")
    with pytest.raises(SettingError, match=rf"settings.env:2: expected NAME=value, got '{line}'"):
        load_settings_file(path)
    assert "KIR_OK" not in os.environ


def test_it_splits_lists_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("KIR_HOSTS", " a.example, ,b.example ")
    assert envlist("KIR_HOSTS", []) == ["a.example", "b.example"]


def _kir(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Start from a clean slate: no KIR_ settings, and not the browser tests' async-unsafe switch.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KIR_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "-m", "kir.cli", *args],
        env={**clean, "DJANGO_SETTINGS_MODULE": "kir.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _kir(["check"], {"KIR_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert result.returncode != 0
    assert "KIR_SECRET_KEY is not set" in result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path):
    production = {
        "KIR_SECRET_KEY": secrets.token_urlsafe(60),
        "KIR_DEBUG": "false",
        "KIR_ALLOWED_HOSTS": "register.example",
        "KIR_SECURE_SSL_REDIRECT": "true",
        "KIR_SECURE_COOKIES": "true",
        "KIR_HSTS_SECONDS": "31536000",
        "KIR_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = _kir(["check", "--deploy", "--fail-level", "WARNING"], production)
    assert result.returncode == 0, result.stderr
    insecure = _kir(
        ["check", "--deploy", "--fail-level", "WARNING"], {**production, "KIR_DEBUG": "true"}
    )
    assert insecure.returncode != 0
    assert "DEBUG" in insecure.stderr


def test_a_rotated_key_keeps_old_signatures_valid_through_its_fallbacks():
    """What docs/operations.md's rotation relies on: values signed with the old key verify."""
    script = (
        "import django; django.setup(); from django.core import signing; "
        "print(signing.loads(signing.dumps('x', key='old-key-' + 'a' * 50)))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kir.settings",
        "KIR_SETTINGS_FILE": "",
        "KIR_SECRET_KEY": "new-key-" + "b" * 50,
        "KIR_SECRET_KEY_FALLBACKS": "old-key-" + "a" * 50,
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "x", done.stderr
    env["KIR_SECRET_KEY_FALLBACKS"] = ""
    refused = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert b"BadSignature" in refused.stderr
