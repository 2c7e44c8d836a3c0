"""A finding page's two charts, drawn once and then reused: a finding's series never changes after
its run is stored, so the drawing (SVG and the table beside it) is a pure function of the series
the viewer may see, kept in the cache under a digest of exactly that input. Two viewers share a
drawing only when they were shown the same figures, so no audience can see another's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from html import escape
from typing import Any

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from kir.tracker import charts

CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class DrawnChart:
    title: str
    description: str
    svg: SafeString
    table: SafeString


def _table(chart: charts.Chart) -> str:
    """The same figures as the chart, one row per day (built here: as template loops, 90 days of
    two charts were most of the page's time)."""
    head = "".join(f'<th scope="col">{escape(line.label)}</th>' for line in chart.lines)
    body = "".join(
        f'<tr><th scope="row">{escape(cells[0])}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in cells[1:])
        + "</tr>"
        for cells in chart.table_rows()
    )
    return (
        f'<table aria-label="{escape(chart.title)}, by day"><thead><tr><th scope="col">Day</th>'
        f"{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _draw(finding_id: int, series: list[dict[str, Any]], installations: int) -> list[DrawnChart]:
    drawn = [
        charts.rate_chart(
            series, installations=installations, chart_id=f"finding-{finding_id}-rate"
        ),
        charts.affected_chart(series, chart_id=f"finding-{finding_id}-affected"),
    ]
    # charts.py escapes every text it puts in the SVG; _table escapes every cell.
    return [
        DrawnChart(c.title, c.description, mark_safe(c.svg), mark_safe(_table(c))) for c in drawn
    ]


def finding_charts(finding_id: int, figures: dict[str, Any]) -> list[DrawnChart]:
    """The charts of the figures a viewer may see (none when the series is suppressed)."""
    series = figures.get("daily")
    if not isinstance(series, list):
        return []
    installations = figures.get("installations")
    count = installations if isinstance(installations, int) else 0
    text = json.dumps([finding_id, count, series], sort_keys=True, default=str)
    key = "kir.tracker.charts." + hashlib.sha256(text.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _draw(finding_id, series, count)
        cache.set(key, found, CACHE_SECONDS)
    return list(found)
