"""Output: the JSON contract, a flat CSV of findings and a table for the terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMATS = ("json", "csv", "table")
CSV_FIELDS = (
    "region",
    "alert_code",
    "alert_description",
    "certainty",
    "attribution",
    "components",
    "dmcs",
    "installations",
    "affected_installations",
    "alerts",
    "superfluous_alerts",
    "rate_per_installation_day",
    "baseline_rate_per_installation_day",
    "rate_ratio",
    "rate_ratio_ci_low",
    "rate_ratio_ci_high",
    "p_value",
    "q_value",
    "prevalence",
    "persistence",
    "excess_alerts_per_day",
    "share_of_region_traffic",
    "region_specific",
    "suppressed",
)


def component_text(component: dict[str, Any]) -> str:
    return "/".join(
        str(component[k]) for k in ("device_type", "manufacturer", "model", "firmware_version")
    )


def _csv_row(finding: dict[str, Any]) -> dict[str, Any]:
    row = {name: finding.get(name) for name in CSV_FIELDS}
    row["components"] = "; ".join(component_text(c) for c in finding["components"])
    row["dmcs"] = " ".join(finding["dmcs"])
    ci = finding.get("rate_ratio_ci") or [None, None]
    row["rate_ratio_ci_low"], row["rate_ratio_ci_high"] = ci
    return row


def render_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_csv_row(f) for f in report["findings"])
    return out.getvalue()


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def render_table(report: dict[str, Any]) -> str:
    window = report["window"]
    lines = [
        f"Superfluous alerts, {window['from']} to {window['to']} ({window['days']} days), "
        f"audience {report['audience']}: {len(report['findings'])} findings",
        "",
    ]
    header = (
        "certainty",
        "region",
        "code",
        "attributed to",
        "DMCs",
        "inst",
        "affected",
        "ratio",
        "q",
        "persist",
        "excess/day",
    )
    rows = [header]
    for f in report["findings"]:
        parts = ", ".join(component_text(c) for c in f["components"])
        rows.append(
            (
                f["certainty"],
                f["region"],
                f["alert_code"],
                f"{f['attribution']}: {parts}",
                str(len(f["dmcs"])),
                _fmt(f["installations"]),
                _fmt(f["affected_installations"]),
                _fmt(f["rate_ratio"]),
                _fmt(f["q_value"]),
                _fmt(f["persistence"]),
                _fmt(f["excess_alerts_per_day"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines += ["", *report.get("notes", [])]
    return "\n".join(lines) + "\n"


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2, default=str) + "\n"
    if fmt == "csv":
        return render_csv(report)
    return render_table(report)


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
