"""A run queued, executed by the worker function and stored: findings and every audience's view,
each equal to what the engine itself gives that audience."""

from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
from kir.register.errors import PermissionRefused
from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.models import (
    FindingComponent,
    FindingSupplierView,
    RunSource,
    RunStatus,
    SupplierCode,
    TrackerFinding,
    TrackerRun,
    finding_key,
)
from kir.tracker.services import RunInputs, tracker_run_queue
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _inputs(synthetic, **extra) -> RunInputs:
    return RunInputs(
        source=RunSource.CLI,
        inventory=synthetic / "inventory.parquet",
        alerts=sorted((synthetic / "alerts").iterdir()),
        **extra,
    )


def test_a_queued_run_waits_for_the_worker(synthetic) -> None:
    run = tracker_run_queue(actor=None, inputs=_inputs(synthetic))
    assert run.status == RunStatus.QUEUED
    assert not run.findings.exists()
    job = Job.objects.get(pk=run.job_id)
    assert job.kind == "tracker_run" and job.payload == {"run": run.pk}
    assert AuditEvent.objects.filter(verb="tracker.run_queued", target_id=str(run.pk)).exists()
    assert [f["role"] for f in run.input_files] == ["inventory"] + ["alerts"] * 7
    assert all(len(f["sha256"]) == 64 for f in run.input_files)


def test_the_worker_stores_findings_and_each_audience_as_the_engine_shows_it(synthetic) -> None:
    supplier = OrganisationFactory(name="Supplier One", category=PartyCategory.LARGE_SUPPLIER)
    SupplierCode.objects.create(code="SUP-01", organisation=supplier)
    run = tracker_run_queue(actor=None, inputs=_inputs(synthetic))
    assert deliver_due() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 1.0 and run.finished_at and run.started_at
    assert {"reading the inventory", "flagging superfluous alerts"} <= set(run.timings)
    assert run.input_counts["inventory"]["devices"] == 4000
    engine = analyse(
        AnalyseRequest(inventory=synthetic / "inventory.parquet", alerts=run.alert_paths)
    )
    findings = list(run.findings.all())
    assert run.findings_count == len(findings) == len(engine["findings"]) > 0
    for row, expected in zip(findings, engine["findings"], strict=True):
        assert (row.region, row.alert_code, row.certainty) == (
            expected["region"],
            expected["alert_code"],
            expected["certainty"],
        )
        assert row.key == finding_key(row.region, row.alert_code, expected["components"])
        assert row.excess_alerts_per_day == expected["excess_alerts_per_day"]
        assert row.daily == expected["daily"] and row.devices == expected["devices"]
        assert row.parts.count() == len(expected["components"])
    parties = analyse(
        AnalyseRequest(
            inventory=synthetic / "inventory.parquet", alerts=run.alert_paths, audience="parties"
        )
    )
    assert [f.parties_view for f in findings] == parties["findings"]
    own = analyse(
        AnalyseRequest(
            inventory=synthetic / "inventory.parquet",
            alerts=run.alert_paths,
            audience="parties",
            supplier="SUP-01",
        )
    )
    views = {v.finding.position: v for v in FindingSupplierView.objects.select_related("finding")}
    assert views, "the supplier has installations in some finding"
    for position, expected in enumerate(own["findings"]):
        if expected["devices"]:
            assert views[position].drilldown == expected
            assert views[position].organisation == supplier
            assert {d["supplier"] for d in views[position].drilldown["devices"]} == {"SUP-01"}
        else:
            assert position not in views
    assert AuditEvent.objects.filter(verb="tracker.run_succeeded", target_id=str(run.pk)).exists()


def test_a_run_delivered_twice_is_stored_once(synthetic) -> None:
    run = tracker_run_queue(actor=None, inputs=_inputs(synthetic))
    deliver_due()
    job = Job.objects.get(pk=run.job_id)
    assert job.state == JobState.DONE
    from kir.tracker.execute import execute_run

    execute_run(job)
    assert (
        TrackerFinding.objects.filter(run=run).count()
        == TrackerRun.objects.get(pk=run.pk).findings_count
    )


def test_components_link_to_the_catalogue_when_it_knows_them(synthetic) -> None:
    from tests.factories import DeviceModelFactory, DeviceVersionFactory, ManufacturerFactory

    engine = analyse(
        AnalyseRequest(
            inventory=synthetic / "inventory.parquet",
            alerts=sorted((synthetic / "alerts").iterdir()),
        )
    )
    part = engine["findings"][0]["components"][0]
    maker = ManufacturerFactory(identifier=part["manufacturer"])
    model = DeviceModelFactory(
        manufacturer=maker, model_id=part["model"], device_type=part["device_type"]
    )
    version = DeviceVersionFactory(device_model=model, firmware_version=part["firmware_version"])
    tracker_run_queue(actor=None, inputs=_inputs(synthetic))
    deliver_due()
    linked = FindingComponent.objects.filter(device_version=version)
    assert linked.exists()
    assert all(c.catalogue_manufacturer == maker for c in linked)


def test_only_dcc_coordinators_queue_runs(synthetic) -> None:
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    for user in (
        UserFactory(organisation=dcc, role=Role.CONTRIBUTOR),
        UserFactory(organisation=secas, role=Role.ADMINISTRATOR),
    ):
        with pytest.raises(PermissionRefused):
            tracker_run_queue(actor=user, inputs=_inputs(synthetic))
    coordinator = UserFactory(organisation=dcc, role=Role.COORDINATOR)
    assert tracker_run_queue(actor=coordinator, inputs=_inputs(synthetic)).started_by == coordinator
    assert TrackerRun.objects.count() == 1


def test_a_run_out_of_memory_ends_failed_with_nothing_stored(synthetic) -> None:
    from kir.tracker.services import default_rules_text

    rules = default_rules_text().replace('memory_limit = "2500MB"', 'memory_limit = "8MB"')
    run = tracker_run_queue(actor=None, inputs=_inputs(synthetic, rules_text=rules))
    assert run.rules_path.endswith("rules.toml")  # kept with the run's files
    deliver_due()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("the run ran out of memory") and "Out of Memory" in run.error
    assert not TrackerFinding.objects.filter(run=run).exists()
    assert Job.objects.get(pk=run.job_id).state == JobState.DONE  # the run failed, not the job
    assert AuditEvent.objects.filter(verb="tracker.run_failed", target_id=str(run.pk)).exists()
