"""Notices to manufacturers and their right of reply: acknowledge, respond, dispute.

Seed paper, option 3(b)(i): manufacturers are told before their device is named on the register,
"without any assertion of responsibility or non-compliance", and invited to cooperate. The notice
is stored (the app shows exactly what was sent) and its e-mail queued on the outbox in the same
transaction, so the worker delivers it at least once even across a crash, and never for a step
that did not commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.catalogue.models import Region
from kir.notify.messages import notify_statement
from kir.notify.services import notifications_enqueue
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.outbox.mail import email_enqueue
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import (
    AffectedProduct,
    InvolvementRole,
    InvolvementStatus,
    Issue,
    IssueState,
    ManufacturerNotice,
    RootCauseStatus,
    Statement,
    StatementKind,
)
from kir.register.policy import add_business_days
from kir.register.selectors.visibility import (
    is_named_manufacturer,
    named_manufacturer_organisations,
)
from kir.register.services._common import (
    record_response,
    reindex,
    require_not_frozen,
    require_permission,
    require_secas,
    require_visible,
    set_involvement,
    write_issue,
)
from kir.register.services.language import refuse_unneutral_public_text
from kir.register.services.policy import policy_in_force
from kir.register.workflow import PUBLIC_STATES

_TEMPLATE = "register/email/manufacturer_notice"


@dataclass(frozen=True)
class NoticeRecipient:
    """One address a notice goes to: an active user's, or the organisation's contact address
    (`user` None)."""

    address: str
    user: User | None = None


def notice_recipient_list(organisation: Organisation) -> list[NoticeRecipient]:
    """Active users of the organisation with an e-mail address, and its contact address, once
    each by address (a user's own entry wins over the contact address), sorted by address."""
    users = organisation.users.filter(is_active=True).exclude(email="").order_by("pk")
    found: dict[str, NoticeRecipient] = {}
    for user in users:
        found.setdefault(user.email, NoticeRecipient(user.email, user))
    if organisation.contact_email:
        found.setdefault(organisation.contact_email, NoticeRecipient(organisation.contact_email))
    return [found[address] for address in sorted(found)]


def notice_recipients(organisation: Organisation) -> list[str]:
    """The addresses a notice to the organisation is sent to."""
    return [recipient.address for recipient in notice_recipient_list(organisation)]


def _products_for(issue: Issue, organisation: Organisation) -> list[str]:
    owned = Q(device_version__device_model__manufacturer__organisation=organisation) | Q(
        dmc__members__device_model__manufacturer__organisation=organisation
    )
    products = (
        AffectedProduct.objects.filter(issue=issue)
        .filter(owned)
        .distinct()
        .select_related("device_version__device_model__manufacturer", "dmc")
    )
    return [str(p.device_version or f"Device Model Combination {p.dmc}") for p in products]


def render_notice(
    issue: Issue, organisation: Organisation, respond_by: object, notice_period: int
) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of the notice to one organisation."""
    makers = ", ".join(m.name for m in organisation.manufacturers.all()) or organisation.name
    context = {
        "issue": issue,
        "organisation": organisation,
        "manufacturer_names": makers,
        "products": _products_for(issue, organisation),
        "regions": ", ".join(Region(r).label for r in issue.regions),
        "respond_by": respond_by,
        "notice_period": notice_period,
        "issue_url": f"{settings.SITE_URL.rstrip('/')}/issues/{issue.human_id}/",
    }
    subject = " ".join(render_to_string(f"{_TEMPLATE}_subject.txt", context).split())
    text = render_to_string(f"{_TEMPLATE}_body.txt", context)
    html = render_to_string(f"{_TEMPLATE}_body.html", context)
    return subject, text, html


@dataclass(frozen=True)
class NoticeDraft:
    """What a notice to one organisation says and where it goes, as it would be sent now: the
    notify step sends exactly this, and its page previews it."""

    organisation: Organisation
    subject: str
    text: str
    html: str
    recipients: list[NoticeRecipient]
    respond_by: date
    notice_period: int
    policy_version: int

    @property
    def addresses(self) -> list[str]:
        return [recipient.address for recipient in self.recipients]


def notice_draft(issue: Issue, organisation: Organisation, *, today: date) -> NoticeDraft:
    policy = policy_in_force()
    period = policy.notice_period_business_days
    respond_by = add_business_days(today, period)
    subject, text, html = render_notice(issue, organisation, respond_by, period)
    return NoticeDraft(
        organisation,
        subject,
        text,
        html,
        notice_recipient_list(organisation),
        respond_by,
        period,
        policy.version,
    )


def _send_one(issue: Issue, actor: User, organisation: Organisation) -> ManufacturerNotice:
    now = timezone.now()
    draft = notice_draft(issue, organisation, today=timezone.localdate(now))
    subject, text, html = draft.subject, draft.text, draft.html
    recipients, respond_by = draft.addresses, draft.respond_by
    notice = ManufacturerNotice.objects.create(
        issue=issue,
        organisation=organisation,
        subject=subject,
        body=text,
        recipients=recipients,
        sent_at=now,
        respond_by=respond_by,
    )
    set_involvement(
        issue, organisation, InvolvementRole.MANUFACTURER, InvolvementStatus.CONTACT_ATTEMPTED
    )
    email_enqueue(
        key=f"manufacturer-notice.{notice.pk}", subject=subject, text=text, html=html, to=recipients
    )
    notifications_enqueue(
        key=f"manufacturer-notice.{notice.pk}.app",
        users=organisation.users.filter(is_active=True),
        title=subject,
        issue_id=issue.pk,
        url=f"/issues/{issue.human_id}/",
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.NOTICE_SENT,
        target=notice,
        data={
            "issue": issue.human_id,
            "organisation": organisation.name,
            "recipients": recipients,
            "respond_by": respond_by.isoformat(),
            "policy_version": draft.policy_version,
        },
    )
    return notice


def notice_organisations(issue: Issue) -> list[Organisation]:
    """The organisations the notify step sends a notice to: every one speaking for a named
    manufacturer."""
    organisations, _ = named_manufacturer_organisations(issue)
    return list(organisations)


def send_manufacturer_notices(
    issue: Issue, actor: User, *, only_missing: bool = False
) -> list[ManufacturerNotice]:
    """Notify every organisation speaking for a named manufacturer (or only those not yet told)."""
    organisations = notice_organisations(issue)
    if only_missing:
        told = set(
            ManufacturerNotice.objects.filter(issue=issue).values_list("organisation_id", flat=True)
        )
        organisations = [o for o in organisations if o.pk not in told]
    return [_send_one(issue, actor, organisation) for organisation in organisations]


@transaction.atomic
def manufacturer_notices_send_missing(*, issue: Issue, actor: User) -> list[ManufacturerNotice]:
    """After products were added to a notified issue: notify the newly named manufacturers."""
    require_secas(actor, Permission.ADMINISTER_REGISTER, "send manufacturer notices")
    if issue.state != IssueState.MANUFACTURER_NOTIFIED:
        raise ValidationFailed({"issue": ["Notices go out while the issue is notified."]})
    return send_manufacturer_notices(issue, actor, only_missing=True)


def _require_manufacturer(issue: Issue, actor: User, action: str) -> Organisation:
    require_permission(actor, Permission.ADD_STATEMENT, action)
    require_visible(actor, issue)
    require_not_frozen(issue)
    organisation = actor.organisation
    if organisation is None or not is_named_manufacturer(issue, organisation.pk):
        raise PermissionRefused(
            f"Only an organisation speaking for a named manufacturer may {action}."
        )
    return organisation


@transaction.atomic
def manufacturer_acknowledge(*, issue: Issue, actor: User) -> ManufacturerNotice | None:
    """The manufacturer confirms it has the notice and will cooperate."""
    organisation = _require_manufacturer(issue, actor, "acknowledge the notice")
    notice = record_response(issue, organisation, acknowledged=True)
    set_involvement(issue, organisation, InvolvementRole.MANUFACTURER, InvolvementStatus.OPEN)
    audit_record(
        actor=actor,
        verb=AuditEventType.NOTICE_ACKNOWLEDGED,
        target=issue,
        data={"organisation": organisation.name, "notice": notice.pk if notice else None},
    )
    return notice


@transaction.atomic
def manufacturer_dispute(*, issue: Issue, actor: User, rationale: str) -> Statement:
    """The manufacturer disputes the issue: its rationale becomes a manufacturer-response
    statement, the root-cause status becomes disputed (a DISPUTED marker wherever the issue is
    shown, as CVE does) and its involvement status becomes disputed."""
    organisation = _require_manufacturer(issue, actor, "dispute the issue")
    if not rationale.strip():
        raise ValidationFailed({"rationale": ["Give the reasons for the dispute."]})
    if issue.state in PUBLIC_STATES:
        refuse_unneutral_public_text(issue, actor, {"rationale": rationale}, "")
    statement = Statement.objects.create(
        issue=issue,
        kind=StatementKind.MANUFACTURER_RESPONSE,
        text=rationale.strip(),
        organisation=organisation,
        author=actor,
    )
    previous = issue.root_cause_status
    issue = write_issue(issue, root_cause_status=RootCauseStatus.DISPUTED)
    set_involvement(issue, organisation, InvolvementRole.MANUFACTURER, InvolvementStatus.DISPUTED)
    record_response(issue, organisation)
    audit_record(
        actor=actor,
        verb=AuditEventType.ISSUE_DISPUTED,
        target=issue,
        data={
            "organisation": organisation.name,
            "statement": statement.pk,
            "root_cause_status": [previous, RootCauseStatus.DISPUTED],
        },
    )
    notify_statement(issue=issue, statement=statement, disputed=True)
    reindex(issue)
    webhook_events_enqueue(event="issue.disputed", issue=issue, data={"statement": statement.pk})
    return statement
