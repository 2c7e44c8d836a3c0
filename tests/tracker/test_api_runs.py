"""POST /api/tracker/runs: DCC coordinators start a run as the web form does; the worker runs it.
Each documented answer (202, 400, 401, 403, 409, 422) is exercised here."""

from __future__ import annotations

import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kir.accounts.models import PartyCategory, Role
from kir.accounts.services import token_create
from kir.audit.models import AuditEvent
from kir.outbox.models import Job
from kir.outbox.worker import deliver_due
from kir.tracker.models import RunSource, RunStatus, TrackerRun
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db]
URL = "/api/tracker/runs"


@pytest.fixture
def dcc():
    return OrganisationFactory(name="DCC", category=PartyCategory.DCC)


def _api(user) -> Client:
    _, secret = token_create(user=user, name="tests", expires_in_days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def coordinator(dcc):
    return _api(UserFactory(username="dcc-coord", organisation=dcc, role=Role.COORDINATOR))


def _upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def _files(synthetic, alerts: int = 2) -> dict:
    return {
        "inventory": _upload(synthetic / "inventory.parquet"),
        "alerts": [_upload(p) for p in sorted((synthetic / "alerts").iterdir())[:alerts]],
    }


@pytest.fixture
def state(settings, tmp_path, synthetic):
    """A kept daily state folder with its inventory beside it (as `kir tracker daily` leaves)."""
    folder = tmp_path / "state"
    folder.mkdir()
    shutil.copy(synthetic / "inventory.parquet", folder / "inventory.parquet")
    settings.TRACKER_STATE_DIR = str(folder)
    return folder


def test_an_upload_is_queued_and_answered_202_with_where_to_follow_it(coordinator, synthetic):
    answer = coordinator.post(URL, {**_files(synthetic), "day_from": "2026-01-01"})
    assert answer.status_code == 202, answer.content
    body = answer.json()
    run = TrackerRun.objects.get()
    assert body["run"]["id"] == run.pk and body["run"]["status"] == "queued"
    assert body["url"] == f"/tracker/runs/{run.pk}/"
    assert body["api_url"] == f"/api/tracker/runs/{run.pk}"
    assert run.source == RunSource.UPLOAD and run.started_by.username == "dcc-coord"
    assert [f["role"] for f in run.input_files] == ["inventory", "alerts", "alerts"]
    assert str(run.day_from) == "2026-01-01"
    # Nothing ran in the request: the worker has the job.
    assert Job.objects.get(pk=run.job_id).kind == "tracker_run"
    assert not run.findings.exists()
    assert AuditEvent.objects.filter(verb="tracker.run_queued", target_id=str(run.pk)).exists()


@pytest.mark.slow
def test_the_worker_executes_a_run_started_through_the_api(coordinator, synthetic):
    body = coordinator.post(URL, _files(synthetic, alerts=3)).json()
    assert coordinator.get(body["api_url"]).json()["status"] == "queued"
    deliver_due()
    done = coordinator.get(body["api_url"]).json()
    assert done["status"] == "succeeded", done["error"]
    assert done["findings_count"] == TrackerRun.objects.get().findings.count() > 0


def test_the_kept_daily_state_is_analysed_with_its_own_inventory(coordinator, state):
    answer = coordinator.post(URL, {"use_state": "true", "day_to": "2026-11-30"})
    assert answer.status_code == 202, answer.content
    run = TrackerRun.objects.get()
    assert run.source == RunSource.STATE and run.state_dir == str(state)
    assert run.inventory_path == str(state / "inventory.parquet") and run.alert_paths == []


def test_a_second_run_over_the_same_state_window_is_a_conflict(coordinator, state, dcc):
    first = coordinator.post(URL, {"use_state": "true"}).json()["run"]["id"]
    again = coordinator.post(URL, {"use_state": "true"})
    assert again.status_code == 409
    assert f"Run {first} is already queued" in again.json()["detail"]
    # The web form refuses it the same way.
    web = Client()
    web.force_login(TrackerRun.objects.get().started_by)
    page = web.post("/tracker/runs/new/", {"use_state": "on"})
    assert page.status_code == 409 and f"Run {first} is already queued" in page.content.decode()
    # Another window is another analysis; a finished run no longer blocks.
    assert coordinator.post(URL, {"use_state": "true", "day_from": "2026-11-01"}).status_code == 202
    TrackerRun.objects.filter(pk=first).update(status=RunStatus.FAILED)
    assert coordinator.post(URL, {"use_state": "true"}).status_code == 202
    assert TrackerRun.objects.count() == 3


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "inventory", "Give the inventory file."),
        ({"inventory": "files"}, "alerts", "Give either alert files or the kept daily state"),
        ({"files": "both", "use_state": "true"}, "alerts", "not both"),
        (
            {"files": "all", "day_from": "2026-11-05", "day_to": "2026-11-01"},
            "day_to",
            "The window ends before it starts.",
        ),
        ({"files": "all", "rules": "latin-1"}, "rules", "The rules file is not UTF-8 text."),
    ],
)
def test_invalid_inputs_are_422_with_each_problem_by_field(
    coordinator, synthetic, state, data, field, message
):
    data = dict(data)
    if data.pop("files", None):
        data.update(_files(synthetic, alerts=1))
    if data.get("inventory") == "files":
        data["inventory"] = _upload(synthetic / "inventory.parquet")
    if data.get("rules") == "latin-1":
        data["rules"] = SimpleUploadedFile(
            "rules.toml", "[rules]\nname = 'caf\xe9'\n".encode("latin-1")
        )
    answer = coordinator.post(URL, data)
    assert answer.status_code == 422, answer.content
    assert any(message in m for m in answer.json()["errors"][field])
    assert not TrackerRun.objects.exists()


def test_a_date_that_is_not_a_date_is_422(coordinator, synthetic):
    answer = coordinator.post(URL, {**_files(synthetic, alerts=1), "day_from": "1 Nov"})
    assert answer.status_code == 422
    assert not TrackerRun.objects.exists()


def test_the_state_without_a_configured_folder_is_422(coordinator, settings):
    settings.TRACKER_STATE_DIR = ""
    answer = coordinator.post(URL, {"use_state": "true"})
    assert answer.status_code == 422 and "No daily state" in answer.json()["errors"]["use_state"][0]


def test_a_json_body_is_400(coordinator):
    answer = coordinator.post(URL, {"use_state": True}, content_type="application/json")
    assert answer.status_code == 400 and "multipart/form-data" in answer.json()["detail"]
    assert not TrackerRun.objects.exists()


def test_without_a_token_it_is_401(synthetic):
    assert Client().post(URL, _files(synthetic, alerts=1)).status_code == 401
    assert not TrackerRun.objects.exists()


@pytest.mark.parametrize(
    ("category", "role"),
    [
        (PartyCategory.DCC, Role.CONTRIBUTOR),
        (PartyCategory.SECAS, Role.ADMINISTRATOR),
        (PartyCategory.LARGE_SUPPLIER, Role.COORDINATOR),
        (PartyCategory.MANUFACTURER, Role.ADMINISTRATOR),
    ],
)
def test_anyone_but_a_dcc_coordinator_is_403(synthetic, state, category, role):
    organisation = OrganisationFactory(category=category)
    client = _api(UserFactory(organisation=organisation, role=role))
    for data in (_files(synthetic, alerts=1), {"use_state": "true"}):
        answer = client.post(URL, data)
        assert answer.status_code == 403
        assert answer.json()["detail"] == "Only DCC coordinators may start tracker runs."
    assert not TrackerRun.objects.exists()


def test_the_openapi_description_names_every_answer(coordinator):
    schema = coordinator.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/tracker/runs"]["post"]
    assert {"202", "400", "401", "403", "409", "422"} <= set(operation["responses"])
    assert "already queued or running" in operation["responses"]["409"]["description"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
