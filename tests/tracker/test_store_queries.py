"""Storing a run's findings is one bulk write per table, not a row at a time: the queries for
200 findings are the catalogue and supplier reads plus the INSERT batches Django needs for the
database's parameter limit (one per table on PostgreSQL), whatever the number of findings."""

from __future__ import annotations

import math
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kir.tracker.models import FindingComponent, FindingDmc, FindingSupplierView, TrackerFinding
from kir.tracker.store import BATCH, store_findings
from tests.tracker.rows import device_row, finding_dict, succeeded_run

pytestmark = pytest.mark.django_db
READS = 4  # catalogue manufacturers, device versions, DMCs; supplier codes


def _batches(model, rows: int) -> int:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = min(BATCH, connection.ops.bulk_batch_size(fields, [None] * rows) or BATCH)
    return math.ceil(rows / size) if rows else 0


def _store(n: int) -> tuple[int, float, int]:
    run = succeeded_run()
    findings = [finding_dict(f"8F{i:02X}", [device_row(1, "SUP-R")]) for i in range(n)]
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        store_findings(run, findings, {})
        seconds = time.perf_counter() - started
    inserts = sum("INSERT" in q["sql"] for q in queries.captured_queries)
    return len(queries.captured_queries), seconds, inserts


@pytest.mark.parametrize("n", [5, 200])
def test_findings_are_stored_in_bulk(n: int) -> None:
    count, seconds, inserts = _store(n)
    expected_inserts = (
        _batches(TrackerFinding, n) + _batches(FindingComponent, n) + _batches(FindingDmc, n)
    ) + _batches(FindingSupplierView, 0)
    assert inserts == expected_inserts
    assert count <= READS + expected_inserts
    if connection.vendor == "postgresql":
        assert inserts == 3  # one per table with rows
    print(f"{n} findings stored in {count} queries, {seconds * 1000:.1f} ms")
    assert TrackerFinding.objects.count() == n
