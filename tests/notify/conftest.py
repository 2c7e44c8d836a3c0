from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.webhook_receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (tests/notify/webhook_receiver.py)."""
    with running_receiver() as running:
        yield running
