"""Tracker editions: propose, tell first-time manufacturers, approve by a second administrator."""

from __future__ import annotations

import pytest

from kir.audit.models import AuditEvent
from kir.notify.models import Notification
from kir.outbox.worker import deliver_due
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.language import check_texts
from kir.register.services import policy_update
from kir.register.services.language import active_phrases
from kir.tracker import editions
from kir.tracker.models import EditionStatus, ManufacturerFindingNotice
from tests.tracker.cast import tracker_cast


@pytest.fixture
def cast(db):
    return tracker_cast()


@pytest.fixture
def run(cast):
    return cast.run(
        [
            {"parts": [cast.hub], "certainty": "established", "excess": 300},
            {"parts": [cast.meter], "certainty": "corroborated", "excess": 50},
            {"parts": [("GSME", "0ABC", "00C00001", "00000001")], "certainty": "indicative"},
        ]
    )


def test_it_proposes_the_findings_at_or_above_the_policy_grade(cast, run):
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    assert edition.status == EditionStatus.PROPOSED and edition.number == 1
    assert edition.grade == "corroborated" and edition.policy.version == 1
    assert [f.position for f in edition.findings.order_by("position")] == [0, 1]
    event = AuditEvent.objects.get(verb="tracker.edition_proposed")
    assert event.data["run"] == run.pk and event.data["rules_sha256"] == run.rules_sha256


def test_a_stricter_policy_grade_keeps_fewer_findings(cast, run):
    policy_update(
        actor=cast.admin_a,
        minimum_evidence_level="corroborated",
        minimum_impact_level="moderate",
        notice_period_business_days=10,
        second_approver_required=True,
        minimum_tracker_grade="established",
    )
    edition = editions.edition_propose(actor=cast.admin_b, run=run)
    assert [f.position for f in edition.findings.all()] == [0]


def test_it_tells_each_first_time_manufacturer_in_neutral_words(cast, run, mailoutbox):
    editions.edition_propose(actor=cast.admin_a, run=run)
    notices = ManufacturerFindingNotice.objects.order_by("organisation__name")
    assert [n.organisation.name for n in notices] == ["Hubline", "Meterix"]
    assert deliver_due() == 4  # an e-mail and an in-app notification to each
    subjects = sorted(m.subject for m in mailoutbox)
    assert subjects[0].startswith("Superfluous alerts tracker: your device is correlated with")
    body = mailoutbox[0].body
    assert "not a statement that any party is responsible" in body
    assert check_texts({"body": body}, active_phrases(), ["Hubline", "Meterix"]) == {}
    assert Notification.objects.filter(
        user=cast.hubline, url__startswith="/tracker/findings/"
    ).exists()
    assert AuditEvent.objects.filter(verb="tracker.notice_sent").count() == 2


def test_a_manufacturer_is_told_only_the_first_time(cast, run):
    first = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    editions.edition_approve(actor=cast.admin_b, edition=first)
    later = cast.run([{"parts": [cast.hub]}, {"parts": [cast.hub, cast.meter], "code": "8145"}])
    second = editions.edition_propose(actor=cast.admin_a, run=later)
    # The hub's finding key was told already; the new combination is a new key for both makers.
    assert sorted(n.organisation.name for n in second.notices.all()) == ["Hubline", "Meterix"]
    assert second.notices.get(organisation__name="Hubline").finding.alert_code == "8145"


def test_it_cannot_go_out_before_the_manufacturers_are_told(cast, run):
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    with pytest.raises(ValidationFailed) as refused:
        editions.edition_approve(actor=cast.admin_b, edition=edition)
    assert any("has not been told yet" in m for m in refused.value.errors["edition"])
    deliver_due()
    published = editions.edition_approve(actor=cast.admin_b, edition=edition)
    assert published.status == EditionStatus.PUBLISHED and published.approved_by == cast.admin_b
    assert AuditEvent.objects.filter(verb="tracker.edition_published").count() == 1


def test_its_publication_is_a_webhook_event_without_finding_detail(cast, run):
    from kir.accounts.models import Role
    from kir.notify.webhooks.services import webhook_endpoint_create
    from kir.outbox.models import Job
    from tests.factories import UserFactory

    organisation = cast.supplier.organisation
    administrator = UserFactory(
        username="bw-admin", organisation=organisation, role=Role.ADMINISTRATOR
    )
    webhook_endpoint_create(
        actor=administrator,
        organisation=organisation,
        url="http://127.0.0.1:9/hook",
        events=["tracker.edition_published"],
    )
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    assert not Job.objects.filter(kind="webhook_event").exists()
    editions.edition_approve(actor=cast.admin_b, edition=edition)
    [event] = Job.objects.filter(kind="webhook_event")
    assert event.payload["event"] == "tracker.edition_published"
    assert event.payload["data"] == {
        "edition": edition.number,
        "published_at": event.payload["data"]["published_at"],
        "findings": 2,
        "url": f"/tracker/editions/{edition.number}/",
    }


def test_the_proposer_cannot_approve_their_own_edition(cast, run):
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    with pytest.raises(ValidationFailed) as refused:
        editions.edition_approve(actor=cast.admin_a, edition=edition)
    assert "a different administrator must approve" in refused.value.errors["edition"][0]
    edition.refresh_from_db()
    assert edition.status == EditionStatus.PROPOSED


@pytest.mark.parametrize("persona", ["dcc", "supplier", "hubline"])
def test_only_secas_administrators_propose(cast, run, persona):
    with pytest.raises(PermissionRefused):
        editions.edition_propose(actor=cast.users[persona], run=run)


def test_a_run_with_nothing_at_the_grade_is_refused_with_the_reason(cast):
    weak = cast.run([{"parts": [cast.hub], "certainty": "indicative"}])
    with pytest.raises(ValidationFailed) as refused:
        editions.edition_propose(actor=cast.admin_a, run=weak)
    assert "no finding graded corroborated or above" in refused.value.errors["run"][0]
    assert not ManufacturerFindingNotice.objects.exists()


def test_a_told_manufacturer_may_respond_and_nobody_else(cast, run):
    editions.edition_propose(actor=cast.admin_a, run=run)
    hub_key = run.findings.get(position=0).key
    response = editions.finding_response_add(
        actor=cast.hubline, finding_key=hub_key, text="Firmware 1.4 changes the retry timer."
    )
    assert response.organisation.name == "Hubline"
    with pytest.raises(PermissionRefused):
        editions.finding_response_add(actor=cast.meterix, finding_key=hub_key, text="Hello")
    with pytest.raises(PermissionRefused):
        editions.finding_response_add(actor=cast.supplier, finding_key=hub_key, text="Hello")
    assert AuditEvent.objects.filter(verb="tracker.response_added").count() == 1


def test_a_response_is_checked_like_published_text(cast, run):
    editions.edition_propose(actor=cast.admin_a, run=run)
    hub_key = run.findings.get(position=0).key
    phrase = active_phrases()[0].rstrip("*")
    with pytest.raises(ValidationFailed) as refused:
        editions.finding_response_add(actor=cast.hubline, finding_key=hub_key, text=f"It {phrase}.")
    assert "Reword" in refused.value.errors["text"][0]
    with pytest.raises(ValidationFailed):
        editions.finding_response_add(actor=cast.hubline, finding_key=hub_key, text="  ")
