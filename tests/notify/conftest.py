from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.webhook_receiver import Receiver, running_receiver
from tests.register.services.conftest import World, build_world


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (tests/notify/webhook_receiver.py)."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def world(db) -> World:
    """The register services' world (tests/register/services/conftest.py)."""
    return build_world()
