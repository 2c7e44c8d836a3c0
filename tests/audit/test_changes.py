from __future__ import annotations

from types import SimpleNamespace

from kir.audit.changes import changed_fields


def test_it_lists_only_the_fields_that_differ_with_before_and_after():
    current = SimpleNamespace(name="Meterix", regions=["north"], note="")
    wanted = {"name": "Meterix Ltd", "regions": ["north"], "note": ""}
    assert changed_fields(current, wanted) == {"name": ("Meterix", "Meterix Ltd")}


def test_it_finds_nothing_when_nothing_changes():
    assert changed_fields(SimpleNamespace(version=3), {"version": 3}) == {}
