"""`POST /api/estate-check`: the estate check for asset systems, with the lines in the body.

The same reading rules as an estate file (estate_input.py): every bad line is answered in one 422
naming `lines[N].column`, and nothing is checked until every line is good."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Status
from pydantic import BaseModel

from kir.accounts.models import User
from kir.api.auth import api_auth
from kir.exports.estate import estate_check
from kir.exports.estate_formats import check_json
from kir.exports.estate_input import MAX_ESTATE_LINES, EstateInput, parse_estate_row
from kir.register.api_input import JSON_NUMBER, StrictInput, Text
from kir.register.api_schemas import ErrorOut, ProcurementProductOut

router = Router(auth=api_auth, tags=["estate"])


def _hex(digits: int) -> str:
    # What the estate file also accepts, stated in the schema so that clients can check it.
    return f"^[0-9A-Fa-f]{{{digits}}}$"


class EstateLineIn(StrictInput):
    manufacturer: Text = Field(pattern=_hex(4), description="4 hex digits (GBCS manufacturer id)")
    model: Text = Field(pattern=_hex(8), description="8 hex digits (model id)")
    firmware: Text = Field(pattern=_hex(8), description="8 hex digits (firmware version)")
    dmc: Text = Field(
        default="",
        pattern=r"^(DMC-[0-9A-Fa-f]{12})?$",
        description="DMC- and 12 hex digits, if known",
    )
    installations: Annotated[int, Field(ge=0, le=2**31 - 1), JSON_NUMBER] | None = None


class EstateCheckIn(StrictInput):
    lines: list[EstateLineIn] = Field(max_length=MAX_ESTATE_LINES)


class EstateLineOut(BaseModel):
    manufacturer: str
    model: str
    firmware: str
    dmc: str | None
    installations: int | None
    rows: list[int] = Field(description="The request's lines (from 1) merged into this line")


class EstateIssueOut(BaseModel):
    human_id: str
    title: str
    state: str
    disputed: bool
    published_at: datetime | None
    installations_at_stake: int
    lines_without_count: int = Field(description="Touched lines that gave no installation count")
    lines: list[str]
    products: list[ProcurementProductOut]


class EstateCheckOut(BaseModel):
    lines: int
    installations: int
    issues: list[EstateIssueOut] = Field(description="Most installations at stake first")
    not_in_catalogue: list[EstateLineOut]


@router.post(
    "/estate-check",
    response={200: EstateCheckOut, 422: ErrorOut},
    summary="Published issues touching an estate, with the installations at stake",
)
def estate_check_api(request: HttpRequest, payload: EstateCheckIn) -> Any:
    found = EstateInput()
    for number, line in enumerate(payload.lines, start=1):
        parse_estate_row(number, line.dict(), found)
    if found.errors:
        errors: dict[str, list[str]] = {}
        for error in found.errors:
            message = str(error).split(": ", 2)[-1]
            errors.setdefault(f"lines[{error.row - 1}].{error.column}", []).append(message)
        return Status(
            422, ErrorOut(detail="Nothing was checked: some lines are bad.", errors=errors)
        )
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return Status(200, check_json(estate_check(user=user, lines=found.lines)))
