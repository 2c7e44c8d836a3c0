"""Line charts of a finding's daily series, drawn on the server as SVG. Pure: series in, markup out.

No charting library and no script: the page works without JavaScript and under the strict CSP.
Colours and strokes are SVG presentation attributes, not `style`, which the CSP would block.
Each chart carries <title> and <desc> (named by aria-labelledby) and comes with the same figures
as a table, which the page shows beside it for screen readers and for anyone who wants numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from kir.formatting import long_date

WIDTH, HEIGHT = 640, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 36
_COLOURS = ("#b3261e", "#1f5fa8")  # the finding, then its comparison
_DASHES = ("", "6 4")


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    description: str
    days: Sequence[str]
    lines: Sequence[Line]
    svg: str

    def table_rows(self) -> list[list[str]]:
        """One row per day: the day, then each line's value as shown on the chart."""
        return [
            [_day(day), *(_number(line.values[i]) for line in self.lines)]
            for i, day in enumerate(self.days)
        ]


def _day(day: str) -> str:
    """The table's day as people read it; the series carries it in ISO 8601."""
    try:
        return long_date(date.fromisoformat(day))
    except ValueError:
        return day


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.4g}"


def rate_chart(series: Sequence[Mapping[str, Any]], *, installations: int, chart_id: str) -> Chart:
    """Superfluous alerts per installation-day, the finding's against the rest of its region."""
    days = [str(entry["day"]) for entry in series]
    mine = [
        entry["superfluous_alerts"] / installations if installations else None for entry in series
    ]
    baseline = [entry.get("baseline_rate_per_installation_day") for entry in series]
    lines = [Line("This finding", mine), Line("Rest of the region (baseline)", baseline)]
    title = "Superfluous alerts per installation-day"
    description = _describe(title, days, lines)
    return Chart(
        chart_id, title, description, days, lines, _svg(chart_id, title, description, days, lines)
    )


def affected_chart(series: Sequence[Mapping[str, Any]], *, chart_id: str) -> Chart:
    """How many installations reached the day's "unusual" level of superfluous alerts."""
    days = [str(entry["day"]) for entry in series]
    lines = [Line("Affected installations", [entry["affected_installations"] for entry in series])]
    title = "Affected installations per day"
    description = _describe(title, days, lines)
    return Chart(
        chart_id, title, description, days, lines, _svg(chart_id, title, description, days, lines)
    )


def _describe(title: str, days: Sequence[str], lines: Sequence[Line]) -> str:
    if not days:
        return f"{title}: no days in the series."
    parts = [
        f"{title} from {days[0]} to {days[-1]} ({len(days)} day{'s' if len(days) > 1 else ''})."
    ]
    for line in lines:
        known = [v for v in line.values if v is not None]
        if known:
            parts.append(
                f"{line.label}: lowest {_number(min(known))}, highest {_number(max(known))}, "
                f"last {_number(line.values[-1])}."
            )
        else:
            parts.append(f"{line.label}: no values.")
    return " ".join(parts)


def _scale(lines: Sequence[Line]) -> float:
    known = [v for line in lines for v in line.values if v is not None]
    top = max(known, default=0.0)
    return top if top > 0 else 1.0


def x_of(index: int, count: int) -> float:
    """Days spread across the plot; a single day sits in the middle."""
    span = WIDTH - _LEFT - _RIGHT
    if count <= 1:
        return _LEFT + span / 2
    return _LEFT + span * index / (count - 1)


def y_of(value: float, top: float) -> float:
    span = HEIGHT - _TOP - _BOTTOM
    return _TOP + span * (1 - value / top)


def _path(values: Sequence[float | None], top: float) -> str:
    """Line segments between known values; a gap (None) lifts the pen."""
    commands, pen_down = [], False
    for i, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        point = f"{x_of(i, len(values)):.1f},{y_of(value, top):.1f}"
        commands.append(("L" if pen_down else "M") + point)
        pen_down = True
    return " ".join(commands)


def _axes(days: Sequence[str], top: float) -> list[str]:
    bottom = HEIGHT - _BOTTOM
    parts = [
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}" stroke="#444"/>',
        f'<line x1="{_LEFT}" y1="{bottom}" x2="{WIDTH - _RIGHT}" y2="{bottom}" stroke="#444"/>',
    ]
    for value in (0.0, top / 2, top):
        y = y_of(value, top)
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(_number(value))}</text>"
        )
    if days:
        ticks = {0, len(days) - 1, (len(days) - 1) // 2}
        for i in sorted(ticks):
            parts.append(
                f'<text x="{x_of(i, len(days)):.1f}" y="{bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(days[i])}</text>'
            )
    return parts


def _legend(lines: Sequence[Line]) -> list[str]:
    parts = []
    for i, line in enumerate(lines):
        x = _LEFT + 10 + 220 * i
        dash = f' stroke-dasharray="{_DASHES[i]}"' if _DASHES[i] else ""
        parts.append(
            f'<line x1="{x}" y1="{HEIGHT - 8}" x2="{x + 20}" y2="{HEIGHT - 8}" '
            f'stroke="{_COLOURS[i]}" stroke-width="2"{dash}/>'
            f'<text x="{x + 26}" y="{HEIGHT - 4}" font-size="11">{escape(line.label)}</text>'
        )
    return parts


def _series_marks(line: Line, index: int, top: float) -> list[str]:
    colour = _COLOURS[index]
    dash = f' stroke-dasharray="{_DASHES[index]}"' if _DASHES[index] else ""
    parts = []
    path = _path(line.values, top)
    if path:
        parts.append(
            f'<path class="series" data-series="{index}" d="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
        )
    # A dot per day, so a one-day series (no segment to draw) is still visible.
    for i, value in enumerate(line.values):
        if value is not None:
            parts.append(
                f'<circle data-series="{index}" cx="{x_of(i, len(line.values)):.1f}" '
                f'cy="{y_of(value, top):.1f}" r="2.5" fill="{colour}"/>'
            )
    return parts


def _svg(
    chart_id: str, title: str, description: str, days: Sequence[str], lines: Sequence[Line]
) -> str:
    top = _scale(lines)
    ident = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        *_axes(days, top),
    ]
    if not days:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13">'
            "No daily figures for this finding.</text>"
        )
    for index, line in enumerate(lines):
        parts += _series_marks(line, index, top)
    parts += _legend(lines)
    parts.append("</svg>")
    return "".join(parts)
