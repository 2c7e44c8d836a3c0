"""Tracker editions: what every SEC Party sees of the tracker, and the steps that publish one.

SECAS proposes an edition of a run's findings at or above the threshold policy's tracker grade; a
second SECAS administrator approves it, by the same rule as an issue's publication
(kir.register.policy.approval_messages). When it is proposed, each manufacturer whose component
appears in one of its findings for the first time (by finding key) is told, in the register's
neutral wording, and the edition cannot be approved until the worker has delivered every such
notice: the manufacturer is told before the edition goes out. A told manufacturer may add a
response, shown beside the finding in every edition that carries it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.notify.services import EVERYONE, notifications_enqueue
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.outbox.mail import email_enqueue
from kir.outbox.models import JobState
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.language import check_texts
from kir.register.permissions import has_permission, is_secas_with
from kir.register.policy import PublicationFacts, approval_messages
from kir.register.services.language import active_phrases
from kir.register.services.policy import policy_in_force, policy_terms
from kir.tracker.edition_notices import render_finding_notice
from kir.tracker.models import (
    Certainty,
    EditionFinding,
    EditionStatus,
    ManufacturerFindingNotice,
    ManufacturerFindingResponse,
    RunStatus,
    TrackerEdition,
    TrackerFinding,
    TrackerRun,
)

MAX_RESPONSE_CHARS = 4000


def may_administer_editions(actor: User) -> bool:
    """SECAS administrators propose and approve editions, as they do publications."""
    return is_secas_with(actor, Permission.ADMINISTER_REGISTER)


def require_edition_administrator(actor: User, action: str) -> None:
    if not may_administer_editions(actor):
        raise PermissionRefused(f"Only SECAS administrators may {action}.")


def edition_findings(run: TrackerRun, grade: str) -> QuerySet[TrackerFinding]:
    return run.findings.filter(certainty__in=Certainty.at_least(grade)).order_by("position")


@dataclass(frozen=True)
class Addressee:
    """An organisation to tell about one finding, or a manufacturer nobody can be told for."""

    finding: TrackerFinding
    organisation: Organisation | None
    manufacturer_name: str


def _addressees(findings: list[TrackerFinding]) -> list[Addressee]:
    found = []
    for finding in findings:
        seen: set[object] = set()
        for part in finding.parts.all():
            maker = part.catalogue_manufacturer
            organisation = maker.organisation if maker else None
            name = maker.name if maker else f"manufacturer {part.manufacturer}"
            marker = organisation.pk if organisation else name
            if marker not in seen:
                seen.add(marker)
                found.append(Addressee(finding, organisation, name))
    return found


def unreachable_manufacturers(edition: TrackerEdition) -> list[str]:
    """Manufacturers of the edition's components with no organisation to tell (shown to SECAS)."""
    findings = list(edition.findings.prefetch_related("parts__catalogue_manufacturer"))
    return sorted({a.manufacturer_name for a in _addressees(findings) if a.organisation is None})


def manufacturer_recipients(organisation: Organisation) -> list[str]:
    from kir.register.services.notices import notice_recipients

    return notice_recipients(organisation)


def _refuse_unneutral(texts: dict[str, str], names: list[str]) -> None:
    """The notice template is ours; a hit means its wording (or a phrase list) must change."""
    hits = check_texts(texts, active_phrases(), names)
    if hits:
        found = "; ".join(f"{field}: {hit.matched!r}" for field, h in hits.items() for hit in h)
        raise ValidationFailed({"notice": [f"The notice wording needs rewording: {found}."]})


def _tell(edition: TrackerEdition, addressee: Addressee, actor: User) -> ManufacturerFindingNotice:
    organisation = addressee.organisation
    assert organisation is not None
    finding = addressee.finding
    subject, text, html = render_finding_notice(edition, finding, organisation)
    _refuse_unneutral({"subject": subject, "body": text}, [addressee.manufacturer_name])
    notice = ManufacturerFindingNotice.objects.create(
        edition=edition,
        finding_key=finding.key,
        finding=finding,
        organisation=organisation,
        sent_at=timezone.now(),
    )
    key = f"tracker-notice.{notice.pk}"
    url = f"/tracker/findings/{finding.pk}/"
    recipients = manufacturer_recipients(organisation)
    mail = email_enqueue(key=key, subject=subject, text=text, html=html, to=recipients)
    app = notifications_enqueue(
        key=f"{key}.app",
        users=organisation.users.filter(is_active=True),
        title=subject,
        url=url,
    )
    notice.job = mail or app
    notice.save(update_fields=["job"])
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_NOTICE_SENT,
        target=notice,
        data={
            "edition": edition.number,
            "finding_key": finding.key,
            "organisation": organisation.name,
            "recipients": recipients,
        },
    )
    return notice


def _first_time(addressees: list[Addressee]) -> list[Addressee]:
    told = set(
        ManufacturerFindingNotice.objects.filter(
            finding_key__in={a.finding.key for a in addressees}
        ).values_list("finding_key", "organisation_id")
    )
    fresh, seen = [], set()
    for a in addressees:
        if a.organisation is None:
            continue
        marker = (a.finding.key, a.organisation.pk)
        if marker not in told and marker not in seen:
            seen.add(marker)
            fresh.append(a)
    return fresh


@transaction.atomic
def edition_propose(*, actor: User, run: TrackerRun, note: str = "") -> TrackerEdition:
    """A proposed edition of `run`'s findings at or above the policy's grade, its first-time
    manufacturers told in the same transaction (their messages go out through the outbox)."""
    require_edition_administrator(actor, "propose a tracker edition")
    run = TrackerRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.SUCCEEDED:
        raise ValidationFailed({"run": [f"Run {run.pk} has not succeeded; it is {run.status}."]})
    policy = policy_in_force()
    grade = policy.minimum_tracker_grade
    findings = list(edition_findings(run, grade).prefetch_related("parts__catalogue_manufacturer"))
    if not findings:
        raise ValidationFailed(
            {
                "run": [
                    f"Run {run.pk} has no finding graded {grade} or above "
                    f"(policy v{policy.version})."
                ]
            }
        )
    number = (TrackerEdition.objects.aggregate(top=Max("number"))["top"] or 0) + 1
    now = timezone.now()
    edition = TrackerEdition.objects.create(
        run=run,
        number=number,
        status=EditionStatus.PROPOSED,
        created_by=actor,
        proposed_by=actor,
        proposed_at=now,
        policy=policy,
        grade=grade,
        note=note.strip(),
    )
    EditionFinding.objects.bulk_create(EditionFinding(edition=edition, finding=f) for f in findings)
    notices = [_tell(edition, a, actor) for a in _first_time(_addressees(findings))]
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_EDITION_PROPOSED,
        target=edition,
        data={
            "number": number,
            "run": run.pk,
            "rules_sha256": run.rules_sha256,
            "policy_version": policy.version,
            "grade": grade,
            "findings": [f.pk for f in findings],
            "notices": [n.pk for n in notices],
        },
    )
    return edition


def edition_blockers(edition: TrackerEdition, approver: User | None = None) -> list[str]:
    """Everything that stands between a proposed edition and Parties; with no `approver`,
    everything except the second administrator's approval."""
    if edition.status != EditionStatus.PROPOSED:
        return [f"Edition {edition.number} is {edition.get_status_display().lower()}."]
    messages = [
        f"{notice.organisation.name} has not been told yet: its notice is waiting for delivery."
        for notice in edition.notices.select_related("organisation", "job")
        if notice.job is not None and notice.job.state != JobState.DONE
    ]
    if approver is not None:
        terms = policy_terms(edition.policy or policy_in_force())
        facts = PublicationFacts(
            evidence_level="",
            impact_level="",
            today=timezone.localdate(),
            proposer_id=edition.proposed_by_id,
            approver_id=approver.pk,
        )
        messages += approval_messages(terms, facts)
    return messages


@transaction.atomic
def edition_approve(*, actor: User, edition: TrackerEdition) -> TrackerEdition:
    """The second administrator's approval: the edition goes out to every Party."""
    require_edition_administrator(actor, "approve a tracker edition")
    edition = TrackerEdition.objects.select_for_update().get(pk=edition.pk)
    blockers = edition_blockers(edition, actor)
    if blockers:
        raise ValidationFailed({"edition": blockers})
    now = timezone.now()
    edition.status = EditionStatus.PUBLISHED
    edition.approved_by = actor
    edition.approved_at = edition.published_at = now
    edition.save(update_fields=["status", "approved_by", "approved_at", "published_at"])
    notifications_enqueue(
        key=f"tracker-edition.{edition.pk}.published",
        users=EVERYONE,
        title=f"Tracker edition {edition.number} is published",
        url=f"/tracker/editions/{edition.number}/",
    )
    # What every Party may read of an edition: its number, size and page, never its findings'
    # detail, which each organisation reads at its own audience on the page.
    webhook_events_enqueue(
        event="tracker.edition_published",
        data={
            "edition": edition.number,
            "published_at": now.isoformat(),
            "findings": edition.entries.count(),
            "url": f"/tracker/editions/{edition.number}/",
        },
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_EDITION_PUBLISHED,
        target=edition,
        data={
            "number": edition.number,
            "run": edition.run_id,
            "proposed_by": edition.proposed_by.get_username() if edition.proposed_by else None,
            "policy_version": edition.policy.version if edition.policy else None,
        },
    )
    return edition


def told_about(organisation: Organisation | None, finding_key: str) -> bool:
    return bool(
        organisation is not None
        and ManufacturerFindingNotice.objects.filter(
            finding_key=finding_key, organisation=organisation
        ).exists()
    )


def may_respond(actor: User, finding_key: str) -> bool:
    """A member of an organisation told about the finding, with the right to add statements."""
    return has_permission(actor, Permission.ADD_STATEMENT) and told_about(
        actor.organisation, finding_key
    )


@transaction.atomic
def finding_response_add(
    *, actor: User, finding_key: str, text: str
) -> ManufacturerFindingResponse:
    """The told manufacturer's response, shown beside the finding. Parties read it, so it passes
    the neutral-language check like any text the register publishes."""
    if not may_respond(actor, finding_key):
        raise PermissionRefused("Only a manufacturer told about this finding may respond to it.")
    text = text.strip()
    if not text:
        raise ValidationFailed({"text": ["Write the response."]})
    if len(text) > MAX_RESPONSE_CHARS:
        raise ValidationFailed({"text": [f"At most {MAX_RESPONSE_CHARS} characters."]})
    hits = check_texts({"text": text}, active_phrases())
    if hits:
        matched = ", ".join(f'"{hit.matched}"' for hit in hits["text"])
        raise ValidationFailed({"text": [f"Reword {matched}: responses are published as written."]})
    assert actor.organisation is not None
    response = ManufacturerFindingResponse.objects.create(
        finding_key=finding_key, organisation=actor.organisation, text=text, author=actor
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_RESPONSE_ADDED,
        target=response,
        data={"finding_key": finding_key, "organisation": actor.organisation.name},
    )
    return response
