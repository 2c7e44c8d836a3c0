"""Every response carries a request id, and every request one log line without its query."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_gives_each_response_a_fresh_request_id():
    first, second = Client().get("/healthz"), Client().get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("offered", "kept"),
    [("proxy-4f1c2a9e", True), ("short", False), ("bad id with spaces", False), ("x" * 65, False)],
)
def test_it_keeps_a_well_formed_id_from_the_caller_only(offered, kept):
    answered = Client().get("/healthz", headers={"X-Request-ID": offered})["X-Request-ID"]
    assert (answered == offered) is kept


def test_it_logs_one_line_per_request_without_the_query(caplog):
    with caplog.at_level(logging.INFO, logger="kir.request"):
        response = Client().get("/healthz", {"q": "meter serial 0012"})
    (record,) = [r for r in caplog.records if r.name == "kir.request"]
    line = record.getMessage()
    assert line.startswith("GET /healthz 200 ")
    assert f"request_id={response['X-Request-ID']}" in line
    assert "user=-" in line
    assert "0012" not in line
