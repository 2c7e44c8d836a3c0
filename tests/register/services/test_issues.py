"""Creating drafts (human ids, validation) and editing them under optimistic locking."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed, VersionConflict
from kir.register.models import (
    AffectedProduct,
    Involvement,
    InvolvementRole,
    Issue,
    IssueCounter,
    IssueState,
    StateChange,
)
from kir.register.services.issues import allocate_human_id
from kir.search.index import search_issue_ids


def test_it_creates_a_draft_with_its_reporter_products_and_timeline(world):
    issue = world.draft()
    year = timezone.localdate().year
    assert issue.human_id == f"KIR-{year}-0001"
    assert issue.state == IssueState.DRAFT
    assert issue.version == 1
    assert issue.reporter_organisation == world.organisations["reporter"]
    assert list(
        AffectedProduct.objects.filter(issue=issue).values_list("device_version", flat=True)
    ) == [world.version.pk]
    involvement = Involvement.objects.get(issue=issue)
    assert (involvement.organisation, involvement.role) == (
        world.organisations["reporter"],
        InvolvementRole.REPORTER,
    )
    assert StateChange.objects.get(issue=issue).to_state == IssueState.DRAFT
    event = AuditEvent.objects.get(verb="issue.created")
    assert event.target_id == str(issue.pk)
    assert Issue.objects.filter(pk__in=search_issue_ids("firmware")).exists()


def test_it_numbers_human_ids_in_sequence_per_year(world):
    ids = [world.draft(title=f"Issue {n}").human_id for n in range(3)]
    year = timezone.localdate().year
    assert ids == [f"KIR-{year}-0001", f"KIR-{year}-0002", f"KIR-{year}-0003"]
    assert allocate_human_id(1999) == "KIR-1999-0001"
    assert IssueCounter.objects.get(year=year).last_number == 3


def test_it_does_not_reuse_a_number_after_a_refused_create(world):
    world.draft()
    with pytest.raises(ValidationFailed):
        world.draft(products=[{"device_version": world.version, "status": "nonsense"}])
    assert world.draft().human_id.endswith("-0002")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "  "),
        ("summary", ""),
        ("category", "gossip"),
        ("regions", ["mars"]),
        ("evidence_level", "certain"),
        ("impact_level", "catastrophic"),
        ("installations_affected", -1),
        ("excess_alerts_per_day", "many"),
    ],
)
def test_it_refuses_bad_fields_by_name(world, field, value):
    with pytest.raises(ValidationFailed) as refusal:
        world.draft(**{field: value})
    assert field in refusal.value.errors
    assert not Issue.objects.exists()


@pytest.mark.parametrize(
    ("product", "message"),
    [
        ({"status": "known_affected"}, "exactly one"),
        ({"device_version": 999999}, "not in the catalogue"),
        ({"device_version": "V", "first_fixed_firmware": "xyz"}, "first fixed firmware"),
    ],
)
def test_it_refuses_bad_products(world, product, message):
    if product.get("device_version") == "V":
        product = {**product, "device_version": world.version}
    with pytest.raises(ValidationFailed) as refusal:
        world.draft(products=[product])
    assert message in " ".join(refusal.value.errors["products"])


def test_it_accepts_a_whole_dmc_and_normalises_the_fixed_firmware(world):
    from tests.factories import DMCFactory

    dmc = DMCFactory(members=[world.version])
    issue = world.draft(
        products=[{"dmc": dmc.pk, "status": "fixed", "first_fixed_firmware": "0102039a"}]
    )
    product = AffectedProduct.objects.get(issue=issue)
    assert (product.dmc, product.first_fixed_firmware) == (dmc, "0102039A")


def test_it_refuses_reporting_without_the_role(world):
    with pytest.raises(PermissionRefused):
        services.issue_create_draft(
            actor=world.users["reporter_viewer"], title="t", summary="s", category="other"
        )


def test_it_updates_fields_and_bumps_the_version(world):
    issue = world.draft()
    issue = services.issue_update(
        issue=issue, actor=world.reporter, expected_version=1, title="Alert storms after update"
    )
    assert (issue.title, issue.version) == ("Alert storms after update", 2)
    event = AuditEvent.objects.filter(verb="issue.updated").get()
    assert event.data["changes"]["title"][1] == "Alert storms after update"
    assert Issue.objects.filter(pk__in=search_issue_ids("storms")).exists()


def test_it_refuses_the_second_of_two_edits_from_the_same_version(world):
    issue = world.draft()
    first_copy = Issue.objects.get(pk=issue.pk)
    second_copy = Issue.objects.get(pk=issue.pk)
    services.issue_update(
        issue=first_copy, actor=world.reporter, expected_version=1, summary="First editor's text"
    )
    with pytest.raises(VersionConflict) as conflict:
        services.issue_update(
            issue=second_copy,
            actor=world.users["secas_coordinator"],
            expected_version=1,
            summary="Second editor's text",
            impact_level="severe",
        )
    assert conflict.value.current.summary == "First editor's text"
    assert conflict.value.current.version == 2
    saved = Issue.objects.get(pk=issue.pk)
    assert (saved.summary, saved.impact_level, saved.version) == ("First editor's text", "high", 2)
    assert AuditEvent.objects.filter(verb="issue.updated").count() == 1


def test_it_replaces_the_affected_products(world):
    issue = world.draft()
    issue = services.issue_update(
        issue=issue,
        actor=world.reporter,
        expected_version=1,
        products=[{"device_version": world.second_version, "status": "known_affected"}],
    )
    assert list(issue.products.values_list("device_version", flat=True)) == [
        world.second_version.pk
    ]


def test_it_refuses_unknown_fields_and_editors_without_the_right(world):
    issue = world.draft()
    with pytest.raises(ValidationFailed):
        services.issue_update(issue=issue, actor=world.reporter, expected_version=1, state="closed")
    with pytest.raises(PermissionRefused):
        services.issue_update(
            issue=issue,
            actor=world.users["other_supplier_contributor"],
            expected_version=1,
            title="Hijack",
        )
    issue = world.advance(issue, IssueState.UNDER_ASSESSMENT)
    with pytest.raises(PermissionRefused):
        services.issue_update(
            issue=issue, actor=world.reporter, expected_version=issue.version, title="Late"
        )
    issue = services.issue_update(
        issue=issue,
        actor=world.users["dcc_coordinator"],
        expected_version=issue.version,
        evidence_level="established",
    )
    assert issue.evidence_level == "established"


def test_it_refuses_edits_once_closed(world):
    issue = world.issue_in(IssueState.CLOSED)
    with pytest.raises(PermissionRefused):
        services.issue_update(
            issue=issue, actor=world.admin, expected_version=issue.version, title="Changed"
        )


def test_it_checks_the_language_of_text_changed_after_publication(world):
    issue = world.issue_in(IssueState.PUBLISHED)
    with pytest.raises(ValidationFailed) as refusal:
        services.issue_update(
            issue=issue,
            actor=world.users["secas_coordinator"],
            expected_version=issue.version,
            summary="The meters are defective.",
        )
    assert "defective" in refusal.value.errors["summary"][0]
    issue = services.issue_update(
        issue=issue,
        actor=world.admin,
        expected_version=issue.version,
        summary="The manufacturer's own notice calls the meters defective.",
        language_justification="Quoting the manufacturer's published bulletin.",
    )
    override = issue.language_overrides.get()
    assert (override.field, override.phrase) == ("summary", "defective")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_it_hands_out_unique_ids_to_concurrent_creators():
    from tests.register.services.conftest import build_world

    world = build_world()
    made: list[str] = []
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            made.append(world.draft(title=f"Concurrent {n}").human_id)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == len(set(made)) == 8


def test_it_runs_on_the_configured_database():
    assert connection.vendor in {"sqlite", "postgresql"}
