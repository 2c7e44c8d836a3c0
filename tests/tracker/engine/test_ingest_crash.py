"""`kill -9` of an ingest after its batch is written and before it is put in place: the state
directory shows no batch, a later analysis sees no ingested day, and the ingest run again
completes (issue 16, crash tests). A real child process, killed at a fixed point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.incremental import IngestRequest, ingest
from kir.tracker.engine.state import batches
from tests.tracker.engine.builders import CHF_A, ESME_X, Estate, alert, at, write_alerts

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]

# The kill point: the rename that puts the finished batch (every file and meta.json) in place.
_KILLED_INGEST = """
import os, signal, sys
from pathlib import Path
from kir.tracker.engine.incremental import IngestRequest, ingest
rename = Path.rename
def die_on_batch(self, target):
    if self.name.startswith(".batch-"):
        os.kill(os.getpid(), signal.SIGKILL)
    return rename(self, target)
Path.rename = die_on_batch
inventory, alerts, state = sys.argv[1:]
ingest(IngestRequest(inventory=Path(inventory), alerts=[alerts], state_dir=Path(state)))
"""


def test_an_ingest_killed_before_its_batch_is_in_place_leaves_no_batch(tmp_path):
    estate = Estate()
    estate.add("north", "SUP1", [CHF_A, ESME_X], 2)
    meter = estate.installations[0].devices["ESME"]
    inventory = estate.write(tmp_path / "inventory.csv")
    alerts = write_alerts(
        tmp_path / "alerts.csv", [alert(meter, "8F35", at(0, s)) for s in (100, 160, 5000)]
    )
    state = tmp_path / "state"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_INGEST, str(inventory), str(alerts), str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert any(p.name.startswith(".batch-") for p in state.iterdir())  # the staging it left
    assert batches(state) == []

    request = IngestRequest(inventory=inventory, alerts=[alerts], state_dir=state)
    done = ingest(request)
    [batch] = batches(state)
    assert (str(batch.path), done["alerts"]) == (done["batch"], 3)
    with pytest.raises(TrackerError, match="already ingested"):
        ingest(request)
