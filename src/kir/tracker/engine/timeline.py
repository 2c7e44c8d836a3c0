"""A group's behaviour over the window's days: which days show it, its onset and persistence.

A day "shows" the behaviour when the group's superfluous rate that day is at least
min_rate_ratio times the rest of the region's, with at least min_daily_superfluous alerts.
A firmware rolled out on day 6 shows from day 6: its onset is the day from which it shows on at
least half the days while it showed on at most a quarter before, with at least min_onset_days
days after it (so one bad last day is never an onset). Persistence is the share of days showing
from the onset (from the window's first day when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_AFTER_SHARE = 0.5
_BEFORE_SHARE = 0.25


@dataclass(frozen=True)
class Timing:
    shows: NDArray[np.bool_]  # one per day
    first_seen: int | None  # day index
    last_seen: int | None
    onset: int | None  # day index > 0 when it starts inside the window
    persistence: float


def showing_days(
    mine: FloatArray,
    others: FloatArray,
    installations: float,
    rest_installations: float,
    min_rate_ratio: float,
    min_daily: float,
) -> NDArray[np.bool_]:
    """Per day, whether the group's rate beat the rest's by min_rate_ratio."""
    return np.asarray(
        (mine >= min_daily) & (mine * rest_installations >= min_rate_ratio * others * installations)
    )


def onset(shows: NDArray[np.bool_], min_days: int) -> int | None:
    """The day the behaviour started inside the window, or None (there from the start, or never).

    The candidate with the largest difference between the share of days showing after and
    before it wins; the earliest of equals.
    """
    days = len(shows)
    best, best_gap = None, 0.0
    for day in range(1, days - min_days + 1):
        after, before = float(shows[day:].mean()), float(shows[:day].mean())
        if after >= _AFTER_SHARE and before <= _BEFORE_SHARE and after - before > best_gap:
            best, best_gap = day, after - before
    return best


def timing(shows: NDArray[np.bool_], min_onset_days: int) -> Timing:
    if not len(shows):
        return Timing(shows, None, None, None, 0.0)
    seen = np.flatnonzero(shows)
    start = onset(shows, min_onset_days)
    from_day = start or 0
    return Timing(
        shows=shows,
        first_seen=int(seen[0]) if len(seen) else None,
        last_seen=int(seen[-1]) if len(seen) else None,
        onset=start,
        persistence=float(shows[from_day:].mean()),
    )
