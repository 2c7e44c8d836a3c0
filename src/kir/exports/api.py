"""The exports as API endpoints: an issue's CSAF document."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from kir.exports.documents import csaf_served_bytes
from kir.exports.selectors import csaf_issue_get_visible
from kir.register.api_schemas import ErrorOut

router = Router(tags=["exports"])


@router.get(
    "/issues/{human_id}/csaf",
    response={200: dict[str, Any], 401: ErrorOut, 404: ErrorOut},
    summary="The issue's CSAF 2.0 document (published issues only)",
)
def issue_csaf(request: HttpRequest, human_id: str) -> HttpResponse:
    """The same bytes as `/.well-known/csaf/green/<year>/<id>.json` (its hashes and signature
    hold for them). 404 for an issue the caller
    may not see or that is not on the published register, exactly as for a missing one."""
    issue = csaf_issue_get_visible(user=request.auth, human_id=human_id)  # type: ignore[attr-defined]
    return HttpResponse(csaf_served_bytes(issue), content_type="application/json")
