"""Saving and deleting an estate: kept only when a supplier asks, for its organisation alone."""

from __future__ import annotations

from django.db import transaction

from kir.accounts.models import User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.exports.estate_input import EstateLine
from kir.exports.models import SavedEstate, SavedEstateLine
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.services._common import require_member

MAX_NAME_LENGTH = 200


@transaction.atomic
def estate_save(*, actor: User, name: str, lines: list[EstateLine]) -> SavedEstate:
    """Keep the checked lines as an estate of the actor's organisation."""
    organisation = require_member(actor, Permission.SAVE_ESTATE, "save an estate")
    name = name.strip()
    errors = {}
    if not name or len(name) > MAX_NAME_LENGTH:
        errors["name"] = [f"Give the estate a name of 1 to {MAX_NAME_LENGTH} characters."]
    if not lines:
        errors["lines"] = ["An estate needs at least one line."]
    if errors:
        raise ValidationFailed(errors)
    estate = SavedEstate.objects.create(organisation=organisation, name=name, saved_by=actor)
    SavedEstateLine.objects.bulk_create(
        SavedEstateLine(
            estate=estate,
            manufacturer=line.manufacturer,
            model=line.model,
            firmware=line.firmware,
            dmc=line.dmc,
            installations=line.installations,
        )
        for line in lines
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.ESTATE_SAVED,
        target=estate,
        data={"name": name, "lines": len(lines)},
    )
    return estate


@transaction.atomic
def estate_delete(*, actor: User, estate: SavedEstate) -> None:
    organisation = require_member(actor, Permission.SAVE_ESTATE, "delete an estate")
    if estate.organisation_id != organisation.pk:
        raise PermissionRefused("Only the organisation that saved an estate may delete it.")
    audit_record(
        actor=actor,
        verb=AuditEventType.ESTATE_DELETED,
        target=estate,
        data={"name": estate.name},
    )
    estate.delete()
