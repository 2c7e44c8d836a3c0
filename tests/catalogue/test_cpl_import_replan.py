"""The import reads and plans outside its write transaction; a write to the catalogue made in
between is seen under the lock, and the import plans again from what is stored then."""

from __future__ import annotations

import pytest

from kir.audit.events import AuditEventType
from kir.audit.models import AuditEvent
from kir.audit.services import audit_verify_chain
from kir.catalogue import cpl_import
from kir.catalogue.models import Manufacturer
from kir.catalogue.services import manufacturer_upsert
from tests.catalogue.cplfiles import GOOD_ROWS, rows_with, write_csv
from tests.catalogue.test_cpl_import import run_import

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_write_between_the_plan_and_the_lock_is_planned_again(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS)
    run_import(path)
    load = cpl_import.CatalogueSnapshot.load
    calls = []

    def load_then_rename() -> cpl_import.CatalogueSnapshot:
        snapshot = load()
        calls.append(snapshot)
        if len(calls) == 1:  # after the import's first read: someone renames the manufacturer
            manufacturer_upsert(identifier="10A5", name="Renamed Meanwhile Ltd", actor=None)
        return snapshot

    monkeypatch.setattr(cpl_import.CatalogueSnapshot, "load", staticmethod(load_then_rename))
    changed = rows_with(1, cpl_status="removed", removed_on="2024-06-01")
    out, _ = run_import(write_csv(tmp_path / "next.csv", changed))
    assert len(calls) == 2
    assert "0 created, 2 changed, 1 unchanged" in out
    assert Manufacturer.objects.get(identifier="10A5").name == GOOD_ROWS[0]["manufacturer_name"]
    last = AuditEvent.objects.filter(verb=AuditEventType.MANUFACTURER_CHANGED.value).last()
    assert last is not None and last.data["before"] == {"name": "Renamed Meanwhile Ltd"}
    assert audit_verify_chain().ok
