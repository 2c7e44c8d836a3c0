"""What a previewed workflow step will record and send, computed by the functions the step
itself uses, so the page before the button shows exactly that.

Approving publication records `publication_snapshot` against the threshold checklist; notifying
sends `notice_draft` to `notice_organisations`. The fingerprint is a digest per part of the
preview: the page carries it, and the step refuses (PreviewOutdated) when what it would do now
differs from what the approver saw, naming the parts that changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kir.accounts.models import User
from kir.register.errors import PreviewOutdated
from kir.register.models import Issue
from kir.register.policy import RuleCheck, threshold_checklist
from kir.register.services.notices import NoticeDraft, notice_draft, notice_organisations
from kir.register.services.policy import policy_in_force, policy_terms
from kir.register.services.publication import publication_facts, publication_snapshot

PREVIEWED_STEPS = frozenset({"notify_manufacturer", "publish"})
SECTION_NAMES = {
    "checklist": "the threshold checklist",
    "snapshot": "the evidence and impact to be recorded",
    "notices": "the notice text or its recipients",
}


@dataclass(frozen=True)
class StepPreview:
    checklist: list[RuleCheck]
    # What the publication record will hold (approving only).
    snapshot: dict[str, Any] | None
    # What each organisation will be sent (notifying only).
    notices: list[NoticeDraft]

    def _parts(self) -> dict[str, Any]:
        return {
            "checklist": [(c.rule, c.figure, c.met) for c in self.checklist],
            "snapshot": self.snapshot,
            "notices": [
                (n.organisation.pk, n.subject, n.text, n.html, n.addresses, n.respond_by)
                for n in self.notices
            ],
        }

    @property
    def fingerprint(self) -> str:
        def digest(value: Any) -> str:
            text = json.dumps(value, sort_keys=True, default=str)
            return hashlib.sha256(text.encode()).hexdigest()[:16]

        return ".".join(f"{name}-{digest(part)}" for name, part in self._parts().items())


def step_preview(step_name: str, issue: Issue, actor: User) -> StepPreview | None:
    """The preview of `step_name` taken by `actor` now, or None for a step without one."""
    if step_name not in PREVIEWED_STEPS:
        return None
    policy = policy_in_force()
    approving = step_name == "publish"
    facts = publication_facts(issue, approver=actor if approving else None)
    checklist = threshold_checklist(policy_terms(policy), facts, include_approval=approving)
    if approving:
        snapshot = publication_snapshot(issue, policy, approved_version=issue.version)
        return StepPreview(checklist, snapshot, [])
    today = timezone.localdate()
    drafts = [notice_draft(issue, o, today=today) for o in notice_organisations(issue)]
    return StepPreview(checklist, None, drafts)


def changed_parts(previewed: str, current: StepPreview) -> list[str]:
    """The parts of the preview, in words, whose digest differs from the one the page showed."""
    seen = dict(part.split("-", 1) for part in previewed.split(".") if "-" in part)
    now = dict(part.split("-", 1) for part in current.fingerprint.split("."))
    return [SECTION_NAMES[name] for name in now if seen.get(name) != now[name]]


def require_preview_unchanged(step_name: str, issue: Issue, actor: User, previewed: str) -> None:
    """Refuse the step when what it would record or send is not what the page previewed."""
    current = step_preview(step_name, issue, actor)
    if current is not None and current.fingerprint != previewed:
        raise PreviewOutdated(changed_parts(previewed, current))
