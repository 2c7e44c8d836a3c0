"""Start a tracker run through the API, exactly as the web form does (tracker_run_create): upload
the inventory and alert files, or point at the daily state kept by `kir tracker ingest`. The run
is queued for the worker; the answer is 202 with where to follow it.

Answers: 202 queued; 400 the body is not multipart/form-data; 401 no valid token; 403 not a DCC
coordinator; 409 the same window of the kept state is already queued or running; 422 the inputs
are not valid (no inventory, both or neither of alerts and the state, a window that ends before
it starts, a rules file that is not UTF-8, a date that is not YYYY-MM-DD).
"""

# No `from __future__ import annotations`: ninja reads the parameter types of the view at import.
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Form, Schema, Status
from ninja.files import UploadedFile

from kir.accounts.models import User
from kir.register.api import refusals_as_responses
from kir.register.api_schemas import ErrorOut
from kir.register.errors import ValidationFailed
from kir.tracker.api import RunOut, router
from kir.tracker.services import tracker_run_create

# On the tracker's own router: GET and POST of /tracker/runs must be one path for Django to
# route both (a second router would answer POST with 405).

ANSWERS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
DESCRIPTION = __doc__
# What each answer means for this operation, in its OpenAPI description.
MEANINGS = {
    202: "Queued: the worker will execute it; `url` is its page, `api_url` its status",
    400: "The body is not multipart/form-data",
    403: "The caller is not a DCC coordinator",
    409: "A run over the same window of the kept daily state is already queued or running",
    422: "Invalid inputs: each problem under `errors`, by field",
}


class RunQueuedOut(Schema):
    run: RunOut
    url: str  # the run's page, with live progress
    api_url: str  # poll this for status, progress, error and counts


def _rules_text(rules: UploadedFile | None) -> str:
    if rules is None:
        return ""
    try:
        return rules.read().decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed({"rules": ["The rules file is not UTF-8 text."]}) from None


@router.post(
    "/tracker/runs",
    response={202: RunQueuedOut, **ANSWERS},
    summary="Start a tracker run (DCC coordinators; multipart form)",
    description=DESCRIPTION,
    openapi_extra={"responses": {k: {"description": v} for k, v in MEANINGS.items()}},
)
@refusals_as_responses
def runs_create(
    request: HttpRequest,
    inventory: UploadedFile | None = File(None),  # noqa: B008 (ninja's parameter markers)
    alerts: list[UploadedFile] | None = File(None),  # noqa: B008
    rules: UploadedFile | None = File(None),  # noqa: B008
    use_state: bool = Form(False),
    day_from: date | None = Form(None),  # noqa: B008
    day_to: date | None = Form(None),  # noqa: B008
) -> Any:
    if not (request.content_type or "").startswith("multipart/form-data"):
        detail = "Send the run as multipart/form-data (files: inventory, alerts, rules)."
        return Status(400, ErrorOut(detail=detail))
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    run = tracker_run_create(
        actor=user,
        inventory=inventory,
        alerts=alerts or [],
        use_state=use_state,
        day_from=day_from,
        day_to=day_to,
        rules_text=_rules_text(rules),
    )
    return Status(
        202,
        RunQueuedOut(
            run=RunOut.of(run),
            url=reverse("tracker:run_detail", args=[run.pk]),
            api_url=reverse("api:runs_detail", args=[run.pk]),
        ),
    )
