"""A procurement check's results as an XLSX workbook: one row per checked item and touching issue
(an item touching none has one row saying so), through the shared writer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kir.exports.xlsx import Column, SheetSpec
from kir.register.selectors import ProcurementResult, ProcurementRow

PROCUREMENT_COLUMNS = (
    Column("item", 30),
    Column("kind", 10),
    Column("in_catalogue", 12),
    Column("issues_touching", 12, "number"),
    Column("human_id", 16),
    Column("title", 50),
    Column("state", 12),
    Column("disputed", 10),
    Column("withdrawn", 10),
    Column("published_at", 20, "datetime"),
    Column("through_products", 50),
)


def procurement_rows(results: list[ProcurementResult[ProcurementRow]]) -> Iterator[list[Any]]:
    for result in results:
        item = [
            result.item.label,
            result.item.kind,
            "yes" if result.in_catalogue else "NOT IN CATALOGUE",
            result.total,
        ]
        if not result.matches:
            yield [*item, "", "(no issue on the register touches this item)", "", "", "", None, ""]
        for match in result.matches:
            yield [
                *item,
                match.human_id,
                match.title,
                match.state,
                "DISPUTED" if match.disputed else "",
                "WITHDRAWN" if match.withdrawn else "",
                match.published_at,
                "; ".join(f"{p.label} ({p.status})" for p in match.products),
            ]


def procurement_sheet(
    results: list[ProcurementResult[ProcurementRow]], policy_version: int, unrecognised: list[str]
) -> SheetSpec:
    cut = [r.item.label for r in results if r.more]
    about = [
        ("Items checked", str(len(results))),
        ("Issues", "every issue on the register: published, resolved, closed, withdrawn (marked)"),
        ("Policy version in force", str(policy_version)),
        ("Lines not understood (not checked)", "; ".join(unrecognised) or "(none)"),
    ]
    if cut:
        about.append(("Items with more issues than listed", "; ".join(cut)))
    return SheetSpec("Procurement check", PROCUREMENT_COLUMNS, about)
