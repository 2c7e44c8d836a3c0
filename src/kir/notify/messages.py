"""Which users a register step tells in the app, and in what words.

Seed paper option 3(b)(ii): once an issue is published, SEC Parties are told it has been
identified; SECAS hears of submissions (to assess) and proposals (a second administrator
approves). The titles quote only the issue's id and title, which passed the neutral-language
check before the issue could reach these steps' audiences.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kir.accounts.models import PartyCategory, Role, User
from kir.notify.services import EVERYONE, notifications_enqueue
from kir.register.models import Issue, StateChange


def _secas_administrators(*, besides: User) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        organisation__category=PartyCategory.SECAS,
        role=Role.ADMINISTRATOR,
    ).exclude(pk=besides.pk)


# transition -> (title template, who is told: SECAS administrators or every Party's users)
_MESSAGES: dict[str, tuple[str, str]] = {
    "submit_for_assessment": ("{id} submitted for assessment: {title}", "secas"),
    "propose_publication": (
        "{id} proposed for publication by {actor}: a second administrator's approval is needed",
        "secas",
    ),
    "publish": ("Published on the register: {id} {title}", EVERYONE),
    "withdraw": ("Withdrawn from the register: {id} {title}", EVERYONE),
}


def notify_state_change(*, issue: Issue, change: StateChange, actor: User) -> None:
    """Queue the step's notifications in the step's own transaction (nothing for other steps)."""
    message = _MESSAGES.get(change.transition)
    if message is None:
        return
    template, audience = message
    title = template.format(id=issue.human_id, title=issue.title, actor=actor.get_username())
    notifications_enqueue(
        key=f"state-change.{change.pk}.app",
        users=_secas_administrators(besides=actor) if audience == "secas" else EVERYONE,
        title=title[:300],
        issue_id=issue.pk,
        url=f"/issues/{issue.human_id}/",
    )
