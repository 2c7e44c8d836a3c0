"""AuditEventType: the one list of what the log records, whose values never change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kir.accounts.services import organisation_update, user_delete, user_update
from kir.audit.chain import GENESIS_HASH, event_payload, link_hash
from kir.audit.events import AuditEventType
from kir.audit.models import AuditEvent
from kir.audit.services import audit_record, audit_verify_chain
from kir.web.demo.seed import seed_demo
from tests.factories import OrganisationFactory, UserFactory

# The verbs stored before the enum existed. Rows holding them are hashed into the chain, so every
# one must stay a member's value, spelt exactly so.
STORED_VERBS = {
    *(
        f"accounts.{noun}_{done}"
        for noun in ("organisation", "user")
        for done in ("created", "changed", "deleted")
    ),
    "accounts.password_changed",
    "accounts.password_reset",
    "accounts.sign_in_unlocked",
    "accounts.token_created",
    "accounts.token_revoked",
    *(
        f"catalogue.{noun}_{done}"
        for noun in ("manufacturer", "device_model", "device_version", "dmc")
        for done in ("created", "changed")
    ),
    "catalogue.cpl_imported",
    "catalogue.manufacturer_organisation_changed",
    "evidence.added",
    "involvement.set",
    *(
        f"issue.{done}"
        for done in (
            "created",
            "updated",
            "submitted",
            "rejected",
            "manufacturer_notified",
            "returned_to_assessment",
            "publication_proposed",
            "publication_proposal_cancelled",
            "published",
            "resolved",
            "closed",
            "withdrawn",
            "reopened",
            "reconsidered",
            "coordinator_assigned",
            "disputed",
        )
    ),
    "estate.deleted",
    "estate.saved",
    "language.overridden",
    "language.phrase_changed",
    "language.phrase_created",
    "language.phrase_deleted",
    "notice.acknowledged",
    "notice.sent",
    "notify.feed_key_renewed",
    "notify.feed_key_revoked",
    "notify.unsubscribed",
    "notify.subscriptions_changed",
    "notify.bulletin_sent",
    *(
        f"notify.webhook_{done}"
        for done in ("created", "secret_rotated", "enabled", "disabled", "deleted")
    ),
    "outbox.retried",
    "policy.updated",
    "tracker.edition_proposed",
    "tracker.edition_published",
    "tracker.notice_sent",
    "tracker.issue_raised",
    "tracker.response_added",
    "tracker.run_queued",
    "tracker.run_succeeded",
    "tracker.run_failed",
    "tracker.supplier_code_set",
    "tracker.edition_cancelled",
    "tracker.edition_withdrawn",
    "statement.added",
}


def test_it_keeps_every_verb_already_stored():
    assert set(AuditEventType.values) == STORED_VERBS


def test_it_describes_every_event_type():
    for member in AuditEventType:
        generated = member.name.replace("_", " ").title()
        assert member.label != generated, f"{member.name} needs a label saying what it records"


def test_it_hashes_a_member_exactly_as_its_stored_string():
    fields = {
        "actor_id": 1,
        "actor_name": "secas-admin",
        "organisation_id": 2,
        "target_type": "register.issue",
        "target_id": "3",
        "data": {"n": 1},
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    member = event_payload(verb=AuditEventType.ISSUE_PUBLISHED, **fields)
    stored = event_payload(verb="issue.published", **fields)
    assert link_hash(member, GENESIS_HASH) == link_hash(stored, GENESIS_HASH)


@pytest.mark.django_db
def test_it_stores_the_members_value(secas_admin):
    event = audit_record(actor=secas_admin, verb=AuditEventType.ISSUE_PUBLISHED)
    event.refresh_from_db()
    assert event.verb == "issue.published"
    assert audit_verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize("verb", ["issue.published", "issue.made_up", ""])
def test_it_refuses_a_plain_string_verb(secas_admin, verb):
    with pytest.raises(TypeError, match="AuditEventType"):
        audit_record(actor=secas_admin, verb=verb)  # type: ignore[arg-type]
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_it_records_only_event_types_when_the_services_run(settings, secas_admin):
    settings.KIR_DEMO = True
    seed_demo()
    organisation = OrganisationFactory(name="Lapwing")
    organisation_update(organisation=organisation, changes={"name": "Lapwing Energy"}, actor=None)
    leaver = UserFactory(organisation=organisation)
    user_update(user=leaver, changes={"first_name": "Ada"}, actor=secas_admin)
    user_delete(user=leaver, actor=secas_admin)
    recorded = set(AuditEvent.objects.values_list("verb", flat=True))
    assert len(recorded) >= 20, sorted(recorded)
    assert recorded <= set(AuditEventType.values), sorted(recorded - set(AuditEventType.values))
    assert audit_verify_chain().ok
