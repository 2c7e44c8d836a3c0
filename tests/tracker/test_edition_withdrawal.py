"""Cancel a proposed edition, withdraw a published one: who may, what is recorded, who is told,
and what Parties see afterwards (the previous edition)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kir.audit.models import AuditEvent
from kir.notify.models import Notification
from kir.outbox.models import Job
from kir.outbox.worker import deliver_due
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.tracker import editions
from kir.tracker.edition_withdrawal import edition_cancel, edition_withdraw
from kir.tracker.models import EditionStatus
from tests.tracker.cast import tracker_cast

REASON = "The run read a duplicated day of alerts from CSP North."


@pytest.fixture
def cast(db):
    return tracker_cast()


def _published(cast, *, excess: float = 300.0, day: date = date(2026, 11, 14)):
    run = cast.run([{"parts": [cast.hub], "excess": excess}], day=day)
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    return editions.edition_approve(actor=cast.admin_b, edition=edition)


def test_a_proposal_is_cancelled_with_its_reason_and_the_told_manufacturer_hears(cast, mailoutbox):
    run = cast.run([{"parts": [cast.hub]}])
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    mailoutbox.clear()
    cancelled = edition_cancel(actor=cast.admin_a, edition=edition, reason=f"  {REASON} ")
    assert cancelled.status == EditionStatus.CANCELLED and cancelled.end_reason == REASON
    assert cancelled.ended_by == cast.admin_a and cancelled.cancelled_at
    [event] = AuditEvent.objects.filter(verb="tracker.edition_cancelled")
    assert event.data["reason"] == REASON and event.data["manufacturers_told"] == ["Hubline"]
    deliver_due()
    [mail] = mailoutbox
    assert mail.subject == f"Tracker edition {edition.number} was cancelled" and REASON in mail.body
    assert Notification.objects.filter(user=cast.hubline, title=mail.subject).exists()
    # Nothing went out: no Party notification, no webhook, and it can no longer be approved.
    assert not Notification.objects.filter(user=cast.supplier).exists()
    assert not Job.objects.filter(kind="webhook_event").exists()
    with pytest.raises(ValidationFailed):
        editions.edition_approve(actor=cast.admin_b, edition=edition)


def test_only_a_proposed_edition_can_be_cancelled(cast):
    edition = _published(cast)
    with pytest.raises(ValidationFailed) as refused:
        edition_cancel(actor=cast.admin_a, edition=edition, reason=REASON)
    assert "Only a proposed edition can be cancelled" in refused.value.errors["edition"][0]
    edition.refresh_from_db()
    assert edition.status == EditionStatus.PUBLISHED


@pytest.mark.parametrize("action", [edition_cancel, edition_withdraw])
def test_a_reason_is_required(cast, action):
    run = cast.run([{"parts": [cast.hub]}])
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    if action is edition_withdraw:
        deliver_due()
        edition = editions.edition_approve(actor=cast.admin_b, edition=edition)
    for reason in ("", "   ", "x" * 2001):
        with pytest.raises(ValidationFailed) as refused:
            action(actor=cast.admin_a, edition=edition, reason=reason)
        assert "reason" in refused.value.errors
    assert not AuditEvent.objects.filter(verb__startswith="tracker.edition_").exclude(
        verb__in=["tracker.edition_proposed", "tracker.edition_published"]
    )


@pytest.mark.parametrize("persona", ["dcc", "supplier", "hubline", "meterix"])
def test_only_secas_administrators_cancel_or_withdraw(cast, persona):
    published = _published(cast)
    proposed = editions.edition_propose(actor=cast.admin_a, run=cast.run([{"parts": [cast.hub]}]))
    with pytest.raises(PermissionRefused):
        edition_cancel(actor=cast.users[persona], edition=proposed, reason=REASON)
    with pytest.raises(PermissionRefused):
        edition_withdraw(actor=cast.users[persona], edition=published, reason=REASON)
    published.refresh_from_db()
    proposed.refresh_from_db()
    assert (published.status, proposed.status) == ("published", "proposed")


def test_a_withdrawal_tells_everyone_and_fires_its_webhook_without_finding_detail(cast, mailoutbox):
    from kir.accounts.models import Role
    from kir.notify.webhooks.services import webhook_endpoint_create
    from tests.factories import UserFactory

    organisation = cast.supplier.organisation
    administrator = UserFactory(
        username="bw-admin", organisation=organisation, role=Role.ADMINISTRATOR
    )
    webhook_endpoint_create(
        actor=administrator,
        organisation=organisation,
        url="http://127.0.0.1:9/hook",
        events=["tracker.edition_withdrawn"],
    )
    edition = _published(cast)
    deliver_due()
    mailoutbox.clear()
    # The proposer may withdraw: as for issues, withdrawal needs no second administrator.
    withdrawn = edition_withdraw(actor=cast.admin_a, edition=edition, reason=REASON)
    assert withdrawn.status == EditionStatus.WITHDRAWN and withdrawn.withdrawn_at
    [event] = AuditEvent.objects.filter(verb="tracker.edition_withdrawn")
    assert event.data == {
        "number": edition.number,
        "reason": REASON,
        "manufacturers_told": ["Hubline"],
    }
    [hook] = Job.objects.filter(kind="webhook_event")
    assert hook.payload["event"] == "tracker.edition_withdrawn"
    assert set(hook.payload["data"]) == {"edition", "withdrawn_at", "reason", "url"}
    deliver_due()
    title = f"Tracker edition {edition.number} was withdrawn"
    assert [m.subject for m in mailoutbox] == [title]
    for user in (cast.supplier, cast.meterix, cast.hubline):
        assert Notification.objects.filter(user=user, title=title).exists()
    with pytest.raises(ValidationFailed) as refused:
        edition_withdraw(actor=cast.admin_b, edition=withdrawn, reason=REASON)
    assert "Only a published edition can be withdrawn" in refused.value.errors["edition"][0]


def test_parties_fall_back_to_the_previous_edition_and_its_page_says_withdrawn(cast):
    first = _published(cast, excess=111.5, day=date(2026, 11, 7))
    second = _published(cast, excess=222.5)
    client = Client()
    client.force_login(cast.supplier)
    assert "222.5" in client.get("/tracker/").content.decode()
    edition_withdraw(actor=cast.admin_b, edition=second, reason=REASON)
    home = client.get("/tracker/").content.decode()
    assert f"Edition {first.number}" in home or f"edition {first.number}" in home
    assert "111.5" in home and "222.5" not in home
    later = second.findings.get()
    assert client.get(f"/tracker/findings/{later.pk}/").status_code == 404
    page = client.get(f"/tracker/editions/{second.number}/").content.decode()
    assert "Withdrawn edition." in page and REASON in page
    assert f"/tracker/findings/{later.pk}/" not in page
    api = client.get(f"/api/tracker/editions/{second.pk}").json()
    assert api["status"] == "withdrawn" and api["findings"] == []
    # DCC and SECAS still see what it held.
    client.force_login(cast.dcc)
    full = client.get(f"/tracker/editions/{second.number}/").content.decode()
    assert "Withdrawn edition." in full and f"/tracker/findings/{later.pk}/" in full


def test_a_cancelled_proposal_stays_hidden_from_parties(cast):
    run = cast.run([{"parts": [cast.hub]}])
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    edition_cancel(actor=cast.admin_b, edition=edition, reason=REASON)
    client = Client()
    client.force_login(cast.supplier)
    assert client.get(f"/tracker/editions/{edition.number}/").status_code == 404
    client.force_login(cast.admin_a)
    page = client.get(f"/tracker/editions/{edition.number}/").content.decode()
    assert "Cancelled proposal." in page and REASON in page


def test_the_edition_page_forms_cancel_and_withdraw(cast):
    client = Client()
    client.force_login(cast.admin_a)
    proposed = editions.edition_propose(actor=cast.admin_a, run=cast.run([{"parts": [cast.hub]}]))
    page = client.get(f"/tracker/editions/{proposed.number}/").content.decode()
    assert f"/tracker/editions/{proposed.number}/cancel/" in page
    refused = client.post(
        f"/tracker/editions/{proposed.number}/cancel/", {"reason": ""}, follow=True
    )
    assert "Give the reason" in refused.content.decode()
    client.post(f"/tracker/editions/{proposed.number}/cancel/", {"reason": REASON})
    proposed.refresh_from_db()
    assert proposed.status == EditionStatus.CANCELLED
    published = _published(cast)
    page = client.get(f"/tracker/editions/{published.number}/").content.decode()
    assert f"/tracker/editions/{published.number}/withdraw/" in page
    client.force_login(cast.dcc)
    answer = client.post(
        f"/tracker/editions/{published.number}/withdraw/", {"reason": REASON}, follow=True
    )
    assert "Only SECAS administrators may withdraw" in answer.content.decode()
    client.force_login(cast.admin_b)
    client.post(f"/tracker/editions/{published.number}/withdraw/", {"reason": REASON})
    published.refresh_from_db()
    assert published.status == EditionStatus.WITHDRAWN
