"""The neutral-language check applied to an issue's publishable texts, and recorded overrides."""

from __future__ import annotations

from django.db import transaction

from kir.accounts.models import User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.register.errors import ValidationFailed
from kir.register.language import Hit, check_texts, text_digest
from kir.register.models import Issue, LanguageOverride, ProhibitedPhrase, Statement
from kir.register.permissions import may_override_language
from kir.register.policy import LanguageFinding
from kir.register.selectors.visibility import named_manufacturers
from kir.register.services._common import require_not_frozen, require_secas, require_visible

_ISSUE_FIELDS = {"title": "Title", "summary": "Summary", "description": "Description"}


def active_phrases() -> list[str]:
    return list(ProhibitedPhrase.objects.filter(active=True).values_list("phrase", flat=True))


def statement_field(statement: Statement) -> str:
    return f"statement:{statement.pk}"


def publishable_texts(issue: Issue) -> dict[str, tuple[str, str]]:
    """field -> (label, text) for every text that the published issue shows: the issue's own
    texts and every statement not superseded (superseded ones stay in the history, marked)."""
    texts = {name: (label, getattr(issue, name)) for name, label in _ISSUE_FIELDS.items()}
    current = Statement.objects.filter(issue=issue, superseded_by__isnull=True).select_related(
        "organisation"
    )
    for statement in current:
        label = (
            f"{statement.get_kind_display()} statement #{statement.pk} by {statement.organisation}"
        )
        texts[statement_field(statement)] = (label, statement.text)
    return texts


def _hits(issue: Issue, texts: dict[str, str]) -> dict[str, list[Hit]]:
    names = [maker.name for maker in named_manufacturers(issue)]
    return check_texts(texts, active_phrases(), names)


def unresolved_language(issue: Issue, fields: list[str] | None = None) -> list[LanguageFinding]:
    """Hits in publishable texts that no override covers (for the exact current text)."""
    texts = publishable_texts(issue)
    if fields is not None:
        texts = {name: texts[name] for name in fields if name in texts}
    hits = _hits(issue, {name: text for name, (_, text) in texts.items()})
    overrides = set(
        LanguageOverride.objects.filter(issue=issue).values_list("field", "phrase", "text_sha256")
    )
    findings = []
    for name, field_hits in hits.items():
        label, text = texts[name]
        digest = text_digest(text)
        for hit in field_hits:
            if (name, hit.phrase, digest) not in overrides:
                findings.append(LanguageFinding(label, hit.phrase, hit.matched))
    return findings


def refuse_unneutral_public_text(
    issue: Issue, actor: User, texts: dict[str, str], justification: str
) -> None:
    """Text that will be public at once must be neutral, or carry an administrator's reason."""
    hits = _hits(issue, texts)
    if not hits or (justification.strip() and may_override_language(actor)):
        return
    raise ValidationFailed(
        {
            field: [
                f'"{hit.matched}" asserts responsibility or non-compliance '
                f'(phrase "{hit.phrase}"); reword it, or ask a SECAS administrator to publish '
                "it with a justification."
                for hit in field_hits
            ]
            for field, field_hits in hits.items()
        }
    )


def record_overrides_for(
    issue: Issue, actor: User, texts: dict[str, str], justification: str
) -> list[LanguageOverride]:
    overrides = []
    for field, field_hits in _hits(issue, texts).items():
        for phrase in dict.fromkeys(hit.phrase for hit in field_hits):
            overrides.append(
                _record_override(issue, actor, field, phrase, texts[field], justification)
            )
    return overrides


def _record_override(
    issue: Issue, actor: User, field: str, phrase: str, text: str, justification: str
) -> LanguageOverride:
    override = LanguageOverride.objects.create(
        issue=issue,
        field=field,
        phrase=phrase,
        text_sha256=text_digest(text),
        justification=justification.strip(),
        actor=actor,
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.LANGUAGE_OVERRIDDEN,
        target=issue,
        data={"field": field, "phrase": phrase, "justification": override.justification},
    )
    return override


@transaction.atomic
def language_override(
    *, issue: Issue, actor: User, field: str, phrase: str, justification: str
) -> LanguageOverride:
    """Record that a SECAS administrator accepts `phrase` in the current text of `field`."""
    require_secas(actor, Permission.OVERRIDE_LANGUAGE_CHECK, "override the language check")
    require_visible(actor, issue)
    require_not_frozen(issue)
    if not justification.strip():
        raise ValidationFailed({"justification": ["Explain why the wording may stand."]})
    texts = publishable_texts(issue)
    if field not in texts:
        raise ValidationFailed({"field": [f"{field!r} is not a publishable text of this issue."]})
    _, text = texts[field]
    hit_phrases = {hit.phrase for hit in _hits(issue, {field: text}).get(field, [])}
    if phrase not in hit_phrases:
        raise ValidationFailed({"phrase": [f"The language check finds no {phrase!r} in {field}."]})
    return _record_override(issue, actor, field, phrase, text, justification)
