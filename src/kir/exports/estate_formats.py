"""An estate check's result as plain JSON values and as spreadsheet rows, for the page, the API
and the XLSX export alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kir.exports.estate import EstateCheck, EstateIssue
from kir.exports.estate_input import EstateLine
from kir.exports.xlsx import Column, SheetSpec

ESTATE_COLUMNS = (
    Column("human_id", 16),
    Column("title", 50),
    Column("state", 12),
    Column("disputed", 10),
    Column("published_at", 20, "datetime"),
    Column("installations_at_stake", 14, "number"),
    Column("lines_without_count", 12, "number"),
    Column("estate_lines", 50),
    Column("through_products", 50),
)


def line_json(line: EstateLine) -> dict[str, Any]:
    return {
        "manufacturer": line.manufacturer,
        "model": line.model,
        "firmware": line.firmware,
        "dmc": line.dmc or None,
        "installations": line.installations,
        "rows": line.rows,
    }


def issue_json(issue: EstateIssue) -> dict[str, Any]:
    return {
        "human_id": issue.human_id,
        "title": issue.title,
        "state": issue.state,
        "disputed": issue.disputed,
        "published_at": issue.published_at,
        "installations_at_stake": issue.installations,
        "lines_without_count": issue.lines_without_count,
        "lines": [line.label for line in issue.lines],
        "products": [{"product": p.label, "status": p.status} for p in issue.products.values()],
    }


def check_json(check: EstateCheck) -> dict[str, Any]:
    return {
        "lines": check.lines,
        "installations": check.installations,
        "issues": [issue_json(issue) for issue in check.issues],
        "not_in_catalogue": [line_json(line) for line in check.not_in_catalogue],
    }


def check_rows(check: EstateCheck) -> Iterator[list[Any]]:
    for issue in check.issues:
        yield [
            issue.human_id,
            issue.title,
            issue.state,
            "DISPUTED" if issue.disputed else "",
            issue.published_at,
            issue.installations,
            issue.lines_without_count,
            "; ".join(line.label for line in issue.lines),
            "; ".join(f"{p.label} ({p.status})" for p in issue.products.values()),
        ]


def check_sheet(check: EstateCheck, source: str, policy_version: int) -> SheetSpec:
    missing = "; ".join(line.label for line in check.not_in_catalogue) or "(none)"
    return SheetSpec(
        "Estate check",
        ESTATE_COLUMNS,
        [
            ("Estate", source),
            ("Lines checked", str(check.lines)),
            ("Installations in the estate", str(check.installations)),
            ("Lines not in the catalogue", missing),
            ("Issues", "published, resolved and closed issues; withdrawn ones left out"),
            ("Policy version in force", str(policy_version)),
        ],
    )
