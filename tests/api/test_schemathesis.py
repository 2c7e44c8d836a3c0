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
# Every check runs but two, which judge input rules rather than answers:
# - "a schema-violating request is rejected": pydantic's lax mode, which the API's input schemas
#   use, coerces some values the JSON schema calls the wrong type (false to 0 for a count, 0 to
#   1970-01-01 for a date) instead of refusing them;
# - "a schema-valid request is accepted": the register's own rules go beyond the JSON schema (a
#   product names exactly one of a version and a DMC, identifiers are hex, no NUL in text), and
#   break them answers a documented 422 that names the field.
# Neither ever answers a server error or an undocumented status, which the other checks assert.
LAX_INPUT_CHECKS = [
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.positive_data_acceptance,
]


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
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=LAX_INPUT_CHECKS
    )
