"""Taking a workflow step: kir.register.workflow says what is allowed; this module does it.

Preconditions named in the workflow table map to check functions here (each returns the unmet
conditions as sentences); effects map to what a step does besides changing the state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from kir.accounts.models import User
from kir.audit.services import audit_record
from kir.notify.messages import notify_state_change
from kir.notify.webhooks.events import webhooks_for_state_change
from kir.register.errors import PermissionRefused, TransitionRefused, ValidationFailed
from kir.register.models import AffectedProduct, Issue, IssueState, StateChange
from kir.register.selectors.visibility import named_manufacturer_organisations
from kir.register.services import notices, publication
from kir.register.services._common import (
    lock_issue,
    require_visible,
    write_issue,
)
from kir.register.services.language import unresolved_language
from kir.register.services.previews import require_preview_unchanged
from kir.register.workflow import Transition, get_transition

Check = Callable[[Issue, User], list[str]]
Effect = Callable[[Issue, User], dict[str, Any]]


def _has_affected_products(issue: Issue, actor: User) -> list[str]:
    if AffectedProduct.objects.filter(issue=issue).exists():
        return []
    return ["Name at least one affected device version or Device Model Combination."]


def _manufacturers_reachable(issue: Issue, actor: User) -> list[str]:
    organisations, unreachable = named_manufacturer_organisations(issue)
    messages = [
        f"Manufacturer {name} has no organisation in the register, so it cannot be notified; "
        "link it to one in the catalogue first."
        for name in unreachable
    ]
    if not organisations and not unreachable:
        messages.append("No manufacturer is named through the affected products.")
    return messages


def _notice_text_neutral(issue: Issue, actor: User) -> list[str]:
    return [
        f'{f.field_label} contains "{f.matched}" (prohibited phrase "{f.phrase}"); the notice '
        "quotes it, so reword it or record an administrator's override first."
        for f in unresolved_language(issue, fields=["title", "summary"])
    ]


def _no_pending_proposal(issue: Issue, actor: User) -> list[str]:
    if publication.pending_proposal(issue) is None:
        return []
    return ["Publication has already been proposed; approve or cancel that proposal."]


def _pending_proposal(issue: Issue, actor: User) -> list[str]:
    if publication.pending_proposal(issue) is not None:
        return []
    return ["Publication has not been proposed yet."]


CHECKS: dict[str, Check] = {
    "has_affected_products": _has_affected_products,
    "manufacturers_reachable": _manufacturers_reachable,
    "notice_text_neutral": _notice_text_neutral,
    "no_pending_proposal": _no_pending_proposal,
    "pending_proposal": _pending_proposal,
    "publication_threshold": lambda issue, actor: publication.publication_blockers(issue),
    "second_approver": publication.second_approver_blockers,
}


def _send_notices(issue: Issue, actor: User) -> dict[str, Any]:
    sent = notices.send_manufacturer_notices(issue, actor)
    return {"notices": [n.pk for n in sent]}


EFFECTS: dict[str, Effect] = {
    "notify_manufacturer": _send_notices,
    "propose_publication": publication.propose,
    "cancel_publication_proposal": publication.cancel_proposal,
    "publish": publication.approve,
}


def precondition_failures(name: str, issue: Issue, actor: User) -> list[str]:
    """What one precondition (a name in the workflow table) finds missing, in words."""
    return CHECKS[name](issue, actor)


def transition_blockers(step: Transition, issue: Issue, actor: User) -> list[str]:
    """Every unmet precondition of taking `step` now (its reason aside), in words."""
    return [m for name in step.preconditions for m in precondition_failures(name, issue, actor)]


def _refusals(
    step: Transition, issue: Issue, actor: User, reason: str, expected_version: int | None
) -> list[str]:
    if issue.state not in step.sources:
        return [
            f"{step.label} is not possible while the issue is {issue.get_state_display().lower()}."
        ]
    reasons = []
    if step.needs_reason and not reason.strip():
        reasons.append(f"{step.label} needs a reason.")
    # Publishing puts a text before every Party: the approver must have read this version, not
    # whatever another user saved a moment before.
    if step.target == IssueState.PUBLISHED and expected_version is None:
        reasons.append(f"{step.label} needs the version you read (expected_version).")
    return reasons + transition_blockers(step, issue, actor)


@transaction.atomic
def issue_transition(
    *,
    issue: Issue,
    actor: User,
    transition: str,
    reason: str = "",
    expected_version: int | None = None,
    previewed: str | None = None,
) -> Issue:
    """Take the named step, or refuse: PermissionRefused for the wrong role or organisation,
    TransitionRefused listing every unmet condition, VersionConflict if the issue moved on,
    PreviewOutdated if `previewed` (a page's StepPreview.fingerprint) no longer matches what
    the step would record or send."""
    step = get_transition(transition)
    if step is None:
        raise ValidationFailed({"transition": [f"There is no step called {transition!r}."]})
    issue = lock_issue(issue)
    require_visible(actor, issue)
    if not step.allows(actor, issue):
        raise PermissionRefused(f"Your role or organisation may not take the step {step.label!r}.")
    reasons = _refusals(step, issue, actor, reason, expected_version)
    if reasons:
        raise TransitionRefused(reasons)
    if previewed is not None:
        # Under the issue's lock, so what is checked is what the step goes on to record.
        require_preview_unchanged(step.name, issue, actor, previewed)
    from_state = issue.state
    fields: dict[str, Any] = {"state": step.target}
    if step.target == IssueState.PUBLISHED and issue.published_at is None:
        fields["published_at"] = timezone.now()
    issue = write_issue(issue, expected_version=expected_version, **fields)
    change = StateChange.objects.create(
        issue=issue,
        transition=step.name,
        from_state=from_state,
        to_state=step.target,
        actor=actor,
        reason=reason.strip(),
    )
    notify_state_change(issue=issue, change=change, actor=actor)
    effect = EFFECTS.get(step.name)
    details = effect(issue, actor) if effect else {}
    webhooks_for_state_change(issue=issue, change=change)
    audit_record(
        actor=actor,
        verb=step.audit_verb,
        target=issue,
        data={
            "transition": step.name,
            "from": from_state,
            "to": step.target,
            "reason": reason.strip(),
            **details,
        },
    )
    return issue
