"""Schemathesis over /api/openapi.json with a personal token: every operation, every check, a
fixed seed and a bounded number of examples. No server error, no undocumented status code, every
answer matching its documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings

from kir.accounts.services import token_create
from kir.wsgi import application
from tests.register.ui_cast import make_ui_cast

EXAMPLES = 12
# Every check runs on every operation, the input-rule checks among them: the request schemas
# are strict (kir.register.api_input: no coercion of false to 0 or of 0 to a date, no extra
# fields, patterns for hex identifiers and procurement items, no NUL in text). One check is off
# for the operations where a schema-valid request can rightly be refused with a 422, each with
# its reason:
NAMES_CATALOGUE_ENTRIES = (
    "a product names a catalogue device version by id or a DMC by identifier, which must exist "
    "(the fuzzer invents them), and exactly one of the two: rules about the register's data "
    "that no JSON schema states; refused with a 422 naming the product"
)
OPAQUE_CURSOR = (
    "`cursor` is opaque (base64 of a position this API gave out): any string is schema-valid, "
    "only the API's own decode it, and any other is a 422 naming `cursor`"
)
UPLOADED_FILES = (
    "the uploaded files must be real alert Parquet/CSV/DUIS XML and inventory files with the "
    "engine's columns, and a window the kept state covers: the fuzzer sends arbitrary bytes, "
    "which the engine rightly refuses with a 400 or 422 naming the file and what it expected"
)
ACCEPTANCE_OFF = {
    "POST /api/tracker/runs": UPLOADED_FILES,
    "POST /api/issues": NAMES_CATALOGUE_ENTRIES,
    "PATCH /api/issues/{human_id}": NAMES_CATALOGUE_ENTRIES,
    "GET /api/catalogue/manufacturers": OPAQUE_CURSOR,
    "GET /api/catalogue/models": OPAQUE_CURSOR,
    "GET /api/catalogue/versions": OPAQUE_CURSOR,
    "GET /api/catalogue/dmcs": OPAQUE_CURSOR,
}


def excluded_checks(label: str) -> list:
    return [schemathesis.checks.positive_data_acceptance] if label in ACCEPTANCE_OFF else []


@pytest.fixture
def keep_connection(db) -> Iterator[None]:
    # As Django's test client does: a request through the WSGI handler must not close the test's
    # connection (and with it the transaction every test runs in).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, settings, tmp_path) -> str:
    settings.MEDIA_ROOT = tmp_path  # evidence uploads the fuzzer makes
    cast = make_ui_cast()
    cast.published()
    _, secret = token_create(user=cast.reporter, name="fuzz", expires_in_days=1)
    return secret


# Read through the WSGI application, as a client would read it; no database is needed for it.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.mark.slow
@schema.parametrize()
@seed(20261203)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_operation_as_documented(case, token, keep_connection):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=excluded_checks(case.operation.label),
    )


def test_every_operation_with_a_check_off_is_in_the_api():
    """A check switched off for an operation the API no longer has would hide nothing, and a
    renamed one would run unchecked elsewhere: the list must name real operations."""
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert set(ACCEPTANCE_OFF) <= labels
    assert len(ACCEPTANCE_OFF) < len(labels)
