"""The worker's side of a register event: one `fanout` job expands into every user's notice.

Who is told: every active user whose organisation may see the issue now (the register's
visibility module decides, once per organisation: visibility depends on nothing else), so a
draft, an issue withdrawn meanwhile from an audience, or an unpublished one reaches nobody who
may not see it. What each one gets:
- in the app, always, naming the subscriptions the issue matched;
- by e-mail, as the user's preferences say (every publication, only matching ones, or none; at
  once or in the daily digest), with an unsubscribe link; except that a correction, dispute or
  withdrawal is a statutory notice to the organisations involved in the issue (reporter,
  manufacturer, coordinator, affected supplier), sent whatever they chose, without one.
The messages quote the issue's published texts only (no evidence, no installation-level data)
and pass the neutral-language check, else the job fails and nothing goes out.

The expansion writes all its rows in one transaction, keyed by the job and the user, so a worker
that dies in it and a job run again produce each delivery once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from kir.accounts.models import User
from kir.notify.mailing import (
    PersonalEmails,
    UnneutralMessage,
    preferences_of,
    refuse_unneutral,
    render_email,
)
from kir.notify.matchers import issue_facts, matched_lines
from kir.notify.models import (
    Delivery,
    DigestEntry,
    MailPreferences,
    Notification,
    PublicationMail,
    Subscription,
)
from kir.outbox.handlers import PermanentFailure
from kir.outbox.mail import email_job
from kir.outbox.models import Job
from kir.register.models import Issue, Statement
from kir.register.selectors.visibility import issue_is_visible_to, named_manufacturers
from kir.register.services.language import active_phrases

_BATCH = 1000


@dataclass(frozen=True)
class Event:
    template: str
    title: str  # in the app: "{id}" and "{title}" are the issue's
    statutory_to_involved: bool = False
    digest: bool = False


EVENTS: dict[str, Event] = {
    "published": Event("published", "Published on the register: {id} {title}", digest=True),
    "corrected": Event("corrected", "Corrected: {id} {title}", statutory_to_involved=True),
    "disputed": Event("disputed", "Disputed: {id} {title}", statutory_to_involved=True),
    "withdrawn": Event(
        "withdrawn", "Withdrawn from the register: {id} {title}", statutory_to_involved=True
    ),
}


def _involved(issue: Issue) -> set[int]:
    ids = set(issue.involvements.values_list("organisation_id", flat=True))
    ids.add(issue.reporter_organisation_id)
    if issue.coordinator_organisation_id:
        ids.add(issue.coordinator_organisation_id)
    return ids


def _subscriptions() -> dict[int, list[Subscription]]:
    by_user: dict[int, list[Subscription]] = defaultdict(list)
    for subscription in Subscription.objects.all().iterator(chunk_size=_BATCH):
        by_user[subscription.user_id].append(subscription)
    return by_user


def _context(issue: Issue, payload: dict[str, Any]) -> dict[str, Any]:
    products = [
        str(p.device_version or f"Device Model Combination {p.dmc}")
        for p in issue.products.select_related("device_version__device_model__manufacturer", "dmc")
    ]
    statement = None
    if payload.get("statement_id"):
        statement = Statement.objects.filter(pk=payload["statement_id"]).first()
    return {
        "issue": issue,
        "products": products,
        "regions": ", ".join(issue.regions),
        "issue_path": f"/issues/{issue.human_id}/",
        "statement": statement,
        "reason": payload.get("reason", ""),
    }


def _check_neutral(issue: Issue, event: Event, context: dict[str, Any]) -> None:
    subject, text, _ = render_email(event.template, {**context, "matched": []})
    names = [maker.name for maker in named_manufacturers(issue)]
    try:
        refuse_unneutral({"subject": subject, "text": text}, active_phrases(), names)
    except UnneutralMessage as error:
        raise PermanentFailure(f"{issue.human_id}: {error}; nothing was sent") from error


def _wants_mail(preferences: MailPreferences, matched: list[str]) -> bool:
    if preferences.publications == PublicationMail.NONE:
        return False
    return preferences.publications == PublicationMail.ALL or bool(matched)


class _Deliveries:
    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self.mail: list[Job] = []
        self.digest: list[DigestEntry] = []

    def save(self) -> None:
        Notification.objects.bulk_create(self.notifications, _BATCH, ignore_conflicts=True)
        Job.objects.bulk_create(self.mail, _BATCH, ignore_conflicts=True)
        DigestEntry.objects.bulk_create(self.digest, _BATCH, ignore_conflicts=True)


def _audience(issue: Issue) -> list[User]:
    users = User.objects.filter(is_active=True, organisation__isnull=False).select_related(
        "organisation", "mail_preferences"
    )
    seen: dict[int, bool] = {}
    audience = []
    for user in users.order_by("pk").iterator(chunk_size=_BATCH):
        organisation_id = user.organisation_id or 0
        if organisation_id not in seen:
            seen[organisation_id] = issue_is_visible_to(user, issue)
        if seen[organisation_id]:
            audience.append(user)
    return audience


def expand(job: Job) -> None:
    """The outbox handler of `fanout` jobs."""
    payload = job.payload
    event = EVENTS[payload["event"]]
    issue = Issue.objects.filter(pk=payload["issue_id"]).first()
    if issue is None:
        return  # the issue is gone (a draft deleted): nobody is told of it
    context = _context(issue, payload)
    _check_neutral(issue, event, context)
    facts = issue_facts(issue)
    involved = _involved(issue) if event.statutory_to_involved else set()
    subscriptions = _subscriptions()
    title = event.title.format(id=issue.human_id, title=issue.title)
    deliveries = _Deliveries()
    emails = PersonalEmails(event.template, context)
    for user in _audience(issue):
        matched = matched_lines(facts, subscriptions.get(user.pk, ()))
        _deliver_to(user, job.key, event, issue, title, emails, matched, involved, deliveries)
    with transaction.atomic():
        deliveries.save()


def _deliver_to(
    user: User,
    key: str,
    event: Event,
    issue: Issue,
    title: str,
    emails: PersonalEmails,
    matched: list[str],
    involved: set[int],
    deliveries: _Deliveries,
) -> None:
    in_app = title if not matched else f"{title} (you follow {', '.join(matched)})"
    deliveries.notifications.append(
        Notification(
            user=user, key=key, issue=issue, title=in_app[:300], url=f"/issues/{issue.human_id}/"
        )
    )
    if not user.email:
        return
    statutory = user.organisation_id in involved
    preferences = preferences_of(user)
    if not statutory and not _wants_mail(preferences, matched):
        return
    if not statutory and event.digest and preferences.delivery == Delivery.DAILY:
        deliveries.digest.append(
            DigestEntry(user=user, key=key, issue=issue, title=title[:300], matched=matched)
        )
        return
    mail = emails.payload(
        user,
        stream=None if statutory else "publications",
        variant={"matched": matched, "statutory": statutory},
    )
    deliveries.mail.append(email_job(key=f"{key}.mail.u{user.pk}", payload=mail))
