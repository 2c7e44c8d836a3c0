from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.exports.csaf_validator import CsafValidator


@pytest.fixture(scope="session")
def csaf_validator() -> Iterator[CsafValidator]:
    validator = CsafValidator()
    yield validator
    validator.close()
