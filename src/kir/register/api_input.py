"""The API's input types: requests are read exactly as the OpenAPI description says, so that
what the schema calls the wrong type is refused (422) and not coerced (tests/api: schemathesis'
negative_data_rejection and positive_data_acceptance checks).

Pydantic's lax mode, which ninja's Schema uses, would read `false` as 0 for a count, `0` as
1970-01-01 for a date, `"5"` as 5 in a JSON body, and (through ninja's attribute access) a JSON
array as an object with every field at its default. Query strings and form fields are text by
nature, so their numbers stay lax; JSON bodies get these strict types.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


def _no_nul(value: str) -> str:
    # Neither database stores a NUL character (PostgreSQL refuses it in text), and no register
    # text needs one.
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


class _NoNulInSchema:
    """Tells the OpenAPI what _no_nul refuses (unless the field has a pattern of its own), while
    the refusal keeps its own message."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("pattern", "^[^\\x00]*$")
        return schema


# Every text the API accepts.
Text = Annotated[str, AfterValidator(_no_nul), _NoNulInSchema()]


def _a_number(value: Any) -> Any:
    # JSON's numbers only, never true/false or a numeric string. For a whole number, 240.0 is
    # one (JSON Schema's `integer`) and pydantic then refuses 240.5.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    return value


# For a number in a JSON body. Bounds go before it in the Annotated, `Annotated[int,
# Field(ge=0), JSON_NUMBER]`: after it, pydantic still checks them but leaves them out of the
# OpenAPI (as `ge` instead of `minimum`).
JSON_NUMBER = BeforeValidator(_a_number)
# A whole number in a JSON body.
Count = Annotated[int, JSON_NUMBER]

# A procurement item as the OpenAPI states it (kir.register.procurement_input reads it):
# MANUFACTURER MODEL [fw FIRMWARE], separated by spaces, "/", "," or ";", or a DMC identifier.
_SEP = r"[\s/,;]+"
PROCUREMENT_ITEM = (
    rf"^\s*(DMC-[0-9A-Fa-f]{{12}}|[0-9A-Fa-f]{{4}}{_SEP}[0-9A-Fa-f]{{8}}"
    rf"({_SEP}((fw|firmware|FW|Firmware){_SEP})?[0-9A-Fa-f]{{8}})?)\s*$"
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    # The `date` format of the OpenAPI (RFC 3339 full-date), not a timestamp or any other shape.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class StrictInput(Schema):
    """Base of the API's request schemas: an object with the documented fields and no others."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        # Without this, ninja's Schema reads fields as attributes of whatever it is given; its
        # own validator has wrapped the input in a DjangoGetter by now.
        given = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(given, dict):
            raise ValueError("must be a JSON object")
        return value
