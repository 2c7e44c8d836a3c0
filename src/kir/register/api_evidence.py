"""Evidence through the API: list an issue's evidence and upload more, with the register's
confidentiality rules (installation-level evidence is seen only by its organisation, SECAS and
DCC: `evidence_visible_to`), through the same selectors and service as the issue page."""

# No `from __future__ import annotations`: ninja reads the views' parameter types through the
# refusals_as_responses wrapper, in whose module these schemas are not defined.
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from pydantic import BaseModel, Field

from kir.accounts.models import User
from kir.api.auth import api_auth
from kir.register.api import REFUSALS, refusals_as_responses
from kir.register.api_schemas import ErrorOut, Text
from kir.register.models import Evidence
from kir.register.selectors import evidence_visible_to, issue_get_visible
from kir.register.services import evidence_add

router = Router(auth=api_auth, tags=["evidence"])


class EvidenceOut(BaseModel):
    id: int
    description: str
    organisation: str
    installation_level: bool = Field(
        description="Names installations: seen only by its organisation, SECAS and DCC"
    )
    file_name: str
    size: int
    created_at: datetime
    download_url: str


def _out(evidence: Evidence, human_id: str) -> EvidenceOut:
    return EvidenceOut(
        id=evidence.pk,
        description=evidence.description,
        organisation=evidence.organisation.name,
        installation_level=evidence.installation_level,
        file_name=(evidence.file.name or "").rsplit("/", 1)[-1],
        size=evidence.file.size,
        created_at=evidence.created_at,
        download_url=reverse("register:evidence_download", args=[human_id, evidence.pk]),
    )


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


@router.get(
    "/issues/{human_id}/evidence",
    response={200: list[EvidenceOut], 404: ErrorOut},
    summary="The issue's evidence the caller may see",
)
def evidence_list(request: HttpRequest, human_id: str) -> Any:
    issue = issue_get_visible(user=_user(request), human_id=human_id)
    visible = evidence_visible_to(user=_user(request), issue=issue).select_related("organisation")
    return Status(200, [_out(evidence, issue.human_id) for evidence in visible])


@router.post(
    "/issues/{human_id}/evidence",
    response={201: EvidenceOut, **REFUSALS},
    summary="Upload evidence (multipart: file, description, installation_level)",
)
@refusals_as_responses
def evidence_upload(
    request: HttpRequest,
    human_id: str,
    file: File[UploadedFile],
    # An empty form field arrives as a missing one: the schema says so (at least one character).
    description: Annotated[Text, Form(min_length=1, max_length=300)],
    installation_level: Form[bool] = False,
) -> Any:
    user = _user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    evidence = evidence_add(
        issue=issue,
        actor=user,
        file=file,
        description=description,
        installation_level=installation_level,
    )
    return Status(201, _out(evidence, issue.human_id))
