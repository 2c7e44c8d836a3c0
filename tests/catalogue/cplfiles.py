"""Small CPL extracts for the catalogue tests, written as CSV or XLSX."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from kir.catalogue.cpl import COLUMNS

GOOD_ROWS: list[dict[str, Any]] = [
    {
        "cpl_entry_id": "CPL-0001",
        "manufacturer_id": "10a5",
        "manufacturer_name": "Meterix Metering Ltd",
        "model_id": "0001-a2f3",
        "model_name": "Meterix E470 Single Phase",
        "device_type": "esme",
        "smets_version": "SMETS2 v4.2",
        "hardware_version": "0102",
        "firmware_version": "00020104",
        "cpl_status": "Listed",
        "listed_on": "2023-04-03",
        "removed_on": "",
    },
    {
        "cpl_entry_id": "CPL-0002",
        "manufacturer_id": "10A5",
        "manufacturer_name": "Meterix Metering Ltd",
        "model_id": "0001A2F3",
        "model_name": "Meterix E470 Single Phase",
        "device_type": "ESME",
        "smets_version": "SMETS2 v4.2",
        "hardware_version": "0102",
        "firmware_version": "00020200",
        "cpl_status": "listed",
        "listed_on": "2024-01-15",
        "removed_on": "",
    },
    {
        "cpl_entry_id": "CPL-0003",
        "manufacturer_id": "1D2F",
        "manufacturer_name": "Hubline Communications Ltd",
        "model_id": "00C1B001",
        "model_name": "Hubline CH-N 868",
        "device_type": "CHF",
        "smets_version": "CHTS v1.3",
        "hardware_version": "0003",
        "firmware_version": "01030000",
        "cpl_status": "removed",
        "listed_on": "2022-06-01",
        "removed_on": "2024-02-29",
    },
]


def rows_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    rows = [dict(row) for row in GOOD_ROWS]
    rows[index].update(changes)
    return rows


def write_csv(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([c.upper() for c in columns])
    for row in rows:
        sheet.append([row.get(c) or None for c in columns])
    workbook.save(path)
    return path


def write_many(path: Path, rows: int, *, per_model: int = 100, makers: int = 1) -> Path:
    """A CSV of `rows` distinct listed devices, `per_model` firmware versions to a model, the
    models spread over `makers` manufacturers."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(rows):
            model, maker = n // per_model, (n // per_model) % makers
            writer.writerow(
                [f"CPL-{n:06d}", f"10A{maker}", f"Maker {maker}", f"{model:08X}", f"Model {model}",
                 "ESME", "SMETS2", "0001", f"{n:08X}", "listed", "2024-01-01", ""]
            )  # fmt: skip
    return path
