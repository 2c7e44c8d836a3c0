"""The run pages: DCC coordinators queue runs from uploads (nothing runs in the request), the
worker executes them, and the run page shows progress, inputs, timings, findings, or the
engine's own message for a bad upload."""

from __future__ import annotations

import csv

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kir.accounts.models import PartyCategory, Role
from kir.outbox.worker import deliver_due
from kir.tracker.models import RunStatus, TrackerRun
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def dcc_coordinator():
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    return UserFactory(username="dcc-coordinator", organisation=dcc, role=Role.COORDINATOR)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def _post(client, synthetic, **files):
    data = {"inventory": _upload(synthetic / "inventory.parquet")}
    data["alerts"] = [_upload(p) for p in sorted((synthetic / "alerts").iterdir())[:3]]
    data.update(files)
    return client.post("/tracker/runs/new/", data)


@pytest.mark.slow
def test_a_coordinator_uploads_files_and_the_worker_runs_them(dcc_coordinator, synthetic):
    client = _client(dcc_coordinator)
    response = _post(client, synthetic)
    run = TrackerRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tracker/runs/{run.pk}/"
    assert run.status == RunStatus.QUEUED  # nothing ran in the request
    page = client.get(f"/tracker/runs/{run.pk}/")
    assert b'http-equiv="refresh"' in page.content and b"Queued" in page.content
    assert [f["role"] for f in run.input_files] == ["inventory", "alerts", "alerts", "alerts"]
    assert all(str(run.pk) in f["path"] for f in run.input_files)  # kept under runs/<id>/
    deliver_due()
    page = client.get(f"/tracker/runs/{run.pk}/")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    text = page.content.decode()
    assert 'http-equiv="refresh"' not in text
    assert f"Findings ({run.findings_count})" in text and "Timings" in text
    assert "reading the inventory" in text and "Rejected rows" in text
    assert client.get("/tracker/runs/").content.count(f"Run {run.pk}".encode()) == 1


def _bad_alerts(tmp_path, kind: str):
    if kind == "wrong columns":
        path = tmp_path / "alerts.csv"
        with path.open("w", newline="") as out:
            csv.writer(out).writerows([["when", "what"], ["2026-11-02", "8F35"]])
        return path, "missing required column"
    if kind == "not parquet":
        path = tmp_path / "alerts.parquet"
        path.write_text("device_id,alert_code\n00-11,8F35\n")
        return path, "alerts.parquet"
    path = tmp_path / "alerts.csv"
    path.write_bytes(b"")
    return path, "alerts.csv"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["wrong columns", "not parquet", "empty"])
def test_a_bad_upload_ends_the_run_failed_with_the_engines_message(
    dcc_coordinator, synthetic, tmp_path, kind
):
    client = _client(dcc_coordinator)
    bad, expected = _bad_alerts(tmp_path, kind)
    _post(client, synthetic, alerts=[_upload(bad)])
    deliver_due()
    run = TrackerRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert expected in run.error
    assert not run.findings.exists()
    page = client.get(f"/tracker/runs/{run.pk}/").content.decode()
    assert "The run failed" in page
    from django.utils.html import escape

    assert escape(run.error) in page


def test_only_dcc_coordinators_may_start_a_run(synthetic):
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    viewer = UserFactory(organisation=dcc, role=Role.CONTRIBUTOR)
    admin = UserFactory(organisation=secas, role=Role.ADMINISTRATOR)
    for user in (viewer, admin):
        client = _client(user)
        assert client.get("/tracker/runs/new/").status_code == 403
        assert _post(client, synthetic).status_code == 403
    assert not TrackerRun.objects.exists()


def test_a_run_needs_an_inventory_and_alerts(dcc_coordinator):
    response = _client(dcc_coordinator).post("/tracker/runs/new/", {})
    assert response.status_code == 422
    assert b"Give the inventory file." in response.content
    assert not TrackerRun.objects.exists()
