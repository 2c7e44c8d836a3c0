from __future__ import annotations

import pytest

from kir.outbox import handlers
from tests.outbox import handlers as test_handlers


@pytest.fixture
def test_kinds(monkeypatch):
    """The worker tests' own kinds: `record` (succeeds), `fail` (retried), `refuse` (final)."""
    for kind in ("record", "fail", "refuse"):
        monkeypatch.setitem(handlers.HANDLERS, kind, f"tests.outbox.handlers.{kind}")
    test_handlers.RAN.clear()
    return test_handlers.RAN
