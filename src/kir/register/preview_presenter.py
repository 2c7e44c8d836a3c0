"""A step's preview (services/previews.py) as its page shows it: the snapshot's values in words,
statements and evidence as the viewer may see them (through the selectors), and each notice's
recipients named as the viewer may see them (visibility.actor_shown_to)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kir.accounts.models import User
from kir.register.models import EvidenceLevel, ImpactLevel, Issue, RootCauseStatus
from kir.register.selectors import actor_shown_to, evidence_visible_to, statements_visible_to
from kir.register.services.notices import NoticeDraft
from kir.register.services.previews import StepPreview
from kir.register.timeline import statement_numbers


@dataclass(frozen=True)
class ShownRecipient:
    name: str
    address: str


@dataclass(frozen=True)
class ShownNotice:
    draft: NoticeDraft
    recipients: list[ShownRecipient]


def _or_not_stated(value: Any) -> str:
    return "Not stated" if value in (None, "") else str(value)


def _figure(value: float | int | None) -> str:
    """1200.0 -> "1,200"; 1200.5 -> "1,200.5": thousands separated, no spurious ".0"."""
    if value is None:
        return "Not stated"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _statements(viewer: User, issue: Issue, snapshot: dict[str, Any]) -> list[str]:
    visible = {s.pk: s for s in statements_visible_to(user=viewer, issue=issue)}
    numbers = statement_numbers(snapshot["statement_ids"])
    current = set(snapshot["current_statement_ids"])
    shown = [
        f"#{numbers[pk]} {visible[pk].get_kind_display()} by {visible[pk].organisation}"
        + ("" if pk in current else " (superseded)")
        for pk in snapshot["statement_ids"]
        if pk in visible
    ]
    hidden = len([pk for pk in snapshot["statement_ids"] if pk not in visible])
    return shown + ([f"and {hidden} you may not see"] if hidden else [])


def _evidence(viewer: User, issue: Issue, snapshot: dict[str, Any]) -> list[str]:
    visible = {e.pk: e for e in evidence_visible_to(user=viewer, issue=issue)}
    shown = [
        f"{visible[pk].description} (from {visible[pk].organisation})"
        for pk in snapshot["evidence_ids"]
        if pk in visible
    ]
    hidden = len([pk for pk in snapshot["evidence_ids"] if pk not in visible])
    return shown + ([f"and {hidden} you may not see"] if hidden else [])


def snapshot_rows(viewer: User, issue: Issue, snapshot: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) pairs; a list value is shown as a list."""
    makers = [
        f"{m['organisation']}: "
        + ("responded" if m["responded"] else f"no response; notice period to {m['respond_by']}")
        for m in snapshot["manufacturers"]
    ]
    overrides = len(snapshot["language_override_ids"])
    return [
        ("Threshold policy", f"Version {snapshot['policy_version']}"),
        ("Evidence level", EvidenceLevel(snapshot["evidence_level"]).label),
        ("Impact level", ImpactLevel(snapshot["impact_level"]).label),
        ("Excess alerts per day", _figure(snapshot["excess_alerts_per_day"])),
        ("Installations affected", _figure(snapshot["installations_affected"])),
        ("Impact rationale", _or_not_stated(snapshot["impact_rationale"])),
        ("Root-cause status", RootCauseStatus(snapshot["root_cause_status"]).label),
        ("Statements", _statements(viewer, issue, snapshot) or ["None"]),
        ("Evidence files", _evidence(viewer, issue, snapshot) or ["None"]),
        ("Wording overrides", f"{overrides} recorded" if overrides else "None"),
        ("Manufacturers", makers or ["None"]),
        ("Issue version approved", snapshot["issue_version"]),
    ]


def shown_notices(viewer: User, preview: StepPreview) -> list[ShownNotice]:
    def name(draft: NoticeDraft, user: User | None) -> str:
        if user is None:
            return f"{draft.organisation.name} (organisation contact address)"
        return actor_shown_to(viewer, user)

    def recipients(draft: NoticeDraft) -> list[ShownRecipient]:
        return [ShownRecipient(name(draft, r.user), r.address) for r in draft.recipients]

    return [ShownNotice(draft, recipients(draft)) for draft in preview.notices]


def preview_context(viewer: User, issue: Issue, preview: StepPreview | None) -> dict[str, Any]:
    if preview is None:
        return {"preview": None}
    rows = snapshot_rows(viewer, issue, preview.snapshot) if preview.snapshot else []
    return {
        "preview": preview,
        "snapshot_rows": [
            {"label": label, "items": value if isinstance(value, list) else None, "text": value}
            for label, value in rows
        ],
        "shown_notices": shown_notices(viewer, preview),
    }
