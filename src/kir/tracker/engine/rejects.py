"""A run's rejected rows: the rejects file they are written to, and the --max-rejects limit.

Finding malformed alert rows again is alert_rejects.py's job; the inventory's come with its estate.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kir.tracker.engine.errors import TooManyRejectsError
from kir.tracker.engine.estate import Estate

REJECT_FIELDS = ("file", "row", "reason", "device_id", "alert_code", "raised_at", "throttled_count")
# How many rejects a report, an inventory sample and a --max-rejects failure show.
REJECT_SAMPLE = 5


@dataclass
class Rejects:
    rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=REJECT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)
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
            0,
            {
                "file": str(request.inventory),
                "row": row_no,
                "reason": reason,
                "device_id": device_id,
            },
        )
    total = rejects.count + max(0, estate.rejected_rows - len(estate.rejects))
    if total and request.rejects_path is not None:
        rejects.write(request.rejects_path)
    if request.max_rejects is not None and total > request.max_rejects:
        sample = "; ".join(reject_text(r) for r in rejects.rows[:REJECT_SAMPLE])
        raise TooManyRejectsError(
            f"{total} malformed rows, more than --max-rejects {request.max_rejects}: {sample}"
        )


def reject_text(row: dict[str, object]) -> str:
    return f"{row.get('file')} row {row.get('row')}: {row.get('reason')}"
