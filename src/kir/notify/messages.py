"""Which users a register step tells, in the app and by e-mail, and in what words.

Seed paper option 3(b)(ii): once an issue is published, SEC Parties are told it has been
identified; so they are when it is corrected, disputed or withdrawn. These go out as one
`fanout` outbox job in the step's transaction, which the worker expands into one delivery per
user who may see the issue (kir.notify.fanout): the step's request writes one row however many
users and subscriptions there are. SECAS hears of submissions (to assess) and proposals (a
second administrator approves) in the app and by e-mail, queued here (a handful of users). The
titles quote only the issue's id and title, which passed the neutral-language check before the
issue could reach these steps' audiences.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kir.accounts.models import PartyCategory, Role, User
from kir.notify.mailing import personal_email, preferences_of
from kir.notify.services import notifications_enqueue
from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue
from kir.register.models import Issue, StateChange, Statement
from kir.register.workflow import PUBLIC_STATES


def _secas_administrators(*, besides: User) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        organisation__category=PartyCategory.SECAS,
        role=Role.ADMINISTRATOR,
    ).exclude(pk=besides.pk)


# transition -> (in the app, by e-mail). The e-mail names the issue by its id only: its title
# has not passed the neutral-language check at submission, and an e-mail cannot be taken back.
_WORK: dict[str, tuple[str, str]] = {
    "submit_for_assessment": (
        "{id} submitted for assessment: {title}",
        "{id} submitted for assessment",
    ),
    "propose_publication": (
        "{id} proposed for publication by {actor}: a second administrator's approval is needed",
    )
    * 2,
}
# transition -> the fan-out event it starts (kir.notify.fanout.EVENTS)
_FANOUT: dict[str, str] = {"publish": "published", "withdraw": "withdrawn"}


def fanout_enqueue(*, key: str, event: str, issue: Issue, **details: object) -> Job:
    """One job that the worker expands into every user's notice of `event` about `issue`."""
    payload = {"event": event, "issue_id": issue.pk, **details}
    return outbox_enqueue(kind="fanout", key=key, payload=payload)


def _tell_secas(issue: Issue, change: StateChange, actor: User, templates: tuple[str, str]) -> None:
    words = {"id": issue.human_id, "title": issue.title, "actor": actor.get_username()}
    title, mail_title = (template.format(**words)[:300] for template in templates)
    administrators = list(_secas_administrators(besides=actor))
    key = f"state-change.{change.pk}"
    notifications_enqueue(
        key=f"{key}.app",
        users=administrators,
        title=title,
        issue_id=issue.pk,
        url=f"/issues/{issue.human_id}/",
    )
    context = {"issue": issue, "title": mail_title, "issue_path": f"/issues/{issue.human_id}/"}
    for user in administrators:
        if user.email and preferences_of(user).work:
            payload = personal_email(user=user, template="work", context=context, stream="work")
            outbox_enqueue(kind="email", key=f"{key}.mail.u{user.pk}", payload=payload)


def notify_state_change(*, issue: Issue, change: StateChange, actor: User) -> None:
    """Queue the step's notices in the step's own transaction (nothing for other steps)."""
    if change.transition in _WORK:
        _tell_secas(issue, change, actor, _WORK[change.transition])
    elif change.transition in _FANOUT:
        fanout_enqueue(
            key=f"state-change.{change.pk}",
            event=_FANOUT[change.transition],
            issue=issue,
            reason=change.reason,
        )


def notify_statement(*, issue: Issue, statement: Statement, disputed: bool = False) -> None:
    """A correction (a statement superseding another) or a dispute of an issue on the public
    register: its readers are told. Before publication nobody beyond SECAS, DCC, the reporter
    and the manufacturer knows of the issue, and those see it on the issue page."""
    if issue.state not in PUBLIC_STATES:
        return
    if not disputed and statement.supersedes_id is None:
        return
    fanout_enqueue(
        key=f"statement.{statement.pk}",
        event="disputed" if disputed else "corrected",
        issue=issue,
        statement_id=statement.pk,
    )
