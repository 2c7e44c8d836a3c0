"""Evidence attachments. Installation-level files are seen only by the uploading supplier, DCC and
SECAS (kir.register.selectors decides); the flag is set by whoever uploads."""

from __future__ import annotations

from django.conf import settings
from django.core.files import File
from django.db import transaction

from kir.accounts.models import User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.register.errors import ValidationFailed
from kir.register.models import Evidence, Issue
from kir.register.services._common import require_member, require_not_frozen, require_visible


@transaction.atomic
def evidence_add(
    *,
    issue: Issue,
    actor: User,
    file: File,
    description: str,
    installation_level: bool = False,
) -> Evidence:
    organisation = require_member(actor, Permission.UPLOAD_EVIDENCE, "upload evidence")
    require_visible(actor, issue)
    require_not_frozen(issue)
    errors = {}
    if not description.strip():
        errors["description"] = ["Say what the file shows."]
    if not file.name:
        errors["file"] = ["The file has no name."]
    elif file.size is not None and file.size > settings.KIR_MAX_UPLOAD_BYTES:
        errors["file"] = [f"At most {settings.KIR_MAX_UPLOAD_BYTES // (1024 * 1024)} MiB."]
    if errors:
        raise ValidationFailed(errors)
    evidence = Evidence.objects.create(
        issue=issue,
        organisation=organisation,
        uploaded_by=actor,
        file=file,
        description=description.strip(),
        installation_level=installation_level,
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.EVIDENCE_ADDED,
        target=evidence,
        data={
            "issue": issue.human_id,
            "name": evidence.file.name,
            "size": evidence.file.size,
            "installation_level": installation_level,
        },
    )
    return evidence
