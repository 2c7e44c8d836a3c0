from __future__ import annotations

import csv
import io
import json
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.tracker.engine.builders import write_csv
from tests.tracker.engine.scenarios import grid_estate, planted_rows, write


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("command")
    estate = grid_estate(per_dmc=20)
    return write(tmp_path, estate, planted_rows(estate, seed=random.Random(2).randrange(100)))


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("tracker", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_writes_the_json_contract_atomically(files, tmp_path):
    inventory, alerts = files
    target = tmp_path / "report.json"
    _out, err = _run("analyse", "--inventory", inventory, "--alerts", alerts, "--out", target)
    report = json.loads(target.read_text())
    assert {"window", "rules", "findings"} <= set(report)
    assert report["findings"] and "findings written" in err
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_it_prints_csv_and_table(files):
    inventory, alerts = files
    text, _err = _run(
        "analyse",
        "--inventory",
        inventory,
        "--alerts",
        alerts,
        "--format",
        "csv",
        "--audience",
        "parties",
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {"region", "alert_code", "certainty", "components"} <= set(rows[0])
    table, _err = _run("analyse", "--inventory", inventory, "--alerts", alerts, "--format", "table")
    assert "established" in table and "attributed to" in table


def test_it_fails_clearly_and_writes_nothing(tmp_path, files):
    inventory, _alerts = files
    bad = write_csv(tmp_path / "alerts.csv", ["device_id", "raised_at"], [])
    target = tmp_path / "report.json"
    with pytest.raises(CommandError, match=r"alerts\.csv: missing required column 'alert_code'"):
        _run("analyse", "--inventory", inventory, "--alerts", bad, "--out", target)
    assert not target.exists()


def test_it_fails_past_max_rejects(tmp_path, files):
    inventory, _alerts = files
    bad = write_csv(
        tmp_path / "alerts.csv",
        ["device_id", "alert_code", "raised_at"],
        [{"device_id": "nope", "alert_code": "8F35", "raised_at": "2024-03-01T00:00:00Z"}],
    )
    target = tmp_path / "report.json"
    with pytest.raises(CommandError, match="more than --max-rejects 0"):
        _run(
            "analyse",
            "--inventory",
            inventory,
            "--alerts",
            bad,
            "--out",
            target,
            "--max-rejects",
            "0",
        )
    assert not target.exists()
    assert "device_id" in (tmp_path / "report.json.rejects.csv").read_text()


def test_it_ingests_days_and_analyses_the_state(files, tmp_path):
    inventory, alerts = files
    state = tmp_path / "state"
    out, _err = _run("ingest", "--inventory", inventory, "--alerts", alerts, "--state", state)
    assert json.loads(out)["first_day"] == "2024-03-01"
    text, _err = _run(
        "analyse",
        "--inventory",
        inventory,
        "--state",
        state,
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-07",
    )
    assert json.loads(text)["window"] == {"from": "2024-03-01", "to": "2024-03-07", "days": 7}


def test_it_generates_synthetic_data(tmp_path):
    out, _err = _run(
        "generate", "--out", tmp_path / "syn", "--devices", 1000, "--alerts", 5000, "--days", 2
    )
    assert "synthetic data written" in out
    assert (tmp_path / "syn" / "planted.json").exists()
    assert list((tmp_path / "syn" / "alerts").iterdir())


def _console(*args, tmp_path):
    """`kir tracker ...` as a user runs it: a new process with no project settings or secrets."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIR_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "kir.cli", "tracker", *[str(a) for a in args]],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_the_console_script_runs_the_tracker_without_project_settings(files, tmp_path):
    inventory, alerts = files
    target = tmp_path / "report.json"
    done = _console(
        "analyse", "--inventory", inventory, "--alerts", alerts, "--out", target, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text())["findings"]
    failed = _console(
        "analyse", "--inventory", tmp_path / "missing.csv", "--alerts", alerts, tmp_path=tmp_path
    )
    assert failed.returncode == 1
    assert "missing.csv: file not found" in failed.stderr
    assert "Traceback" not in failed.stderr
