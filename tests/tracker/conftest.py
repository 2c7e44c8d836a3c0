"""Real files for the tracker's app tests: a small synthetic estate (the generator's), and each
test's own var/ directory for the files a run keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from kir.tracker.engine.synthetic import write_synthetic_dataset


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> Path:
    """A week of alerts over ~900 installations with planted problems (a few seconds to write)."""
    out = tmp_path_factory.mktemp("tracker-synthetic")
    write_synthetic_dataset(out, devices=4000, alerts=60_000, days=7, seed=3)
    return out


@pytest.fixture(autouse=True)
def tracker_var(settings, tmp_path) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR
