"""The prohibited-phrase list that the neutral-language check uses; SECAS administrators edit it."""

from __future__ import annotations

from django.db import transaction

from kir.accounts.models import User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.register.errors import ValidationFailed
from kir.register.models import ProhibitedPhrase
from kir.register.services._common import require_secas


def phrase_errors(phrase: str) -> list[str]:
    bare = phrase.strip().rstrip("*").strip()
    if not bare:
        return ["A phrase needs at least one word."]
    if "*" in bare:
        return ["A * may only end the phrase (it matches any word ending)."]
    return []


@transaction.atomic
def prohibited_phrase_save(*, actor: User, phrase: ProhibitedPhrase) -> ProhibitedPhrase:
    """Create or change a phrase (the admin passes its edited, unsaved instance)."""
    require_secas(actor, Permission.OVERRIDE_LANGUAGE_CHECK, "edit the prohibited phrases")
    phrase.phrase = " ".join(phrase.phrase.split())
    errors = phrase_errors(phrase.phrase)
    if errors:
        raise ValidationFailed({"phrase": errors})
    created = phrase.pk is None
    phrase.save()
    audit_record(
        actor=actor,
        verb=AuditEventType.PHRASE_CREATED if created else AuditEventType.PHRASE_CHANGED,
        target=phrase,
        data={"phrase": phrase.phrase, "active": phrase.active, "note": phrase.note},
    )
    return phrase


@transaction.atomic
def prohibited_phrase_delete(*, actor: User, phrase: ProhibitedPhrase) -> None:
    require_secas(actor, Permission.OVERRIDE_LANGUAGE_CHECK, "edit the prohibited phrases")
    audit_record(
        actor=actor,
        verb=AuditEventType.PHRASE_DELETED,
        target=phrase,
        data={"phrase": phrase.phrase},
    )
    phrase.delete()
