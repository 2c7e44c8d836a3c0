"""A run's rejected rows: the rejects file they are written to, and the --max-rejects limit.

Finding malformed alert rows again is alert_rejects.py's job; the inventory's come with its estate.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Protocol

from kir.tracker.engine.errors import TooManyRejectsError
from kir.tracker.engine.estate import Estate

REJECT_FIELDS = ("file", "row", "reason", "device_id", "alert_code", "raised_at", "throttled_count")
# How many rejects a report, an inventory sample and a --max-rejects failure show.
REJECT_SAMPLE = 5


class RejectKind(Enum):
    """Which check refused a row: counts and classes go by this, never by a reason's text."""

    INVENTORY_VALUE = "inventory value"  # an inventory field missing, malformed or duplicated
    ALERT_VALUE = "alert value"  # an alert field missing or malformed
    CSV_LINE = "CSV line"  # an alert file's line that does not split into the header's columns


@dataclass(frozen=True)
class Reject:
    kind: RejectKind
    file: str
    row: int
    reason: str
    device_id: str | None = None
    alert_code: str | None = None
    raised_at: str | None = None
    throttled_count: str | None = None

    def csv_row(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in REJECT_FIELDS}

    def __str__(self) -> str:
        return f"{self.file} row {self.row}: {self.reason}"


@dataclass
class Rejects:
    rows: list[Reject] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    def count_of(self, kind: RejectKind) -> int:
        return sum(1 for reject in self.rows if reject.kind is kind)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=REJECT_FIELDS)
            writer.writeheader()
            writer.writerows(reject.csv_row() for reject in self.rows)
        tmp.replace(path)


class RejectLimits(Protocol):
    """What a run's request says about its rejects (AnalyseRequest and IngestRequest do)."""

    @property
    def inventory(self) -> Path: ...

    @property
    def max_rejects(self) -> int | None: ...

    @property
    def rejects_path(self) -> Path | None: ...


def handle_rejects(request: RejectLimits, estate: Estate, rejects: Rejects) -> None:
    """Add the inventory's sample of rejects, write the rejects file, and stop the run when
    there are more than max_rejects (alerts and inventory together)."""
    for row_no, reason, device_id in estate.rejects:
        rejects.rows.insert(
            0, Reject(RejectKind.INVENTORY_VALUE, str(request.inventory), row_no, reason, device_id)
        )
    total = rejects.count + max(0, estate.rejected_rows - len(estate.rejects))
    if total and request.rejects_path is not None:
        rejects.write(request.rejects_path)
    if request.max_rejects is not None and total > request.max_rejects:
        sample = "; ".join(str(r) for r in rejects.rows[:REJECT_SAMPLE])
        raise TooManyRejectsError(
            f"{total} malformed rows, more than --max-rejects {request.max_rejects}: {sample}"
        )
