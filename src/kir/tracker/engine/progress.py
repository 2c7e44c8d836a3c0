"""Progress lines: how a run tells its caller which phase it has reached."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """The progress of a caller that asked for none: every line is dropped."""


def timed(progress: Progress, label: str) -> Callable[[], None]:
    """Announce a phase; the returned function announces its end with the time it took."""
    start = time.monotonic()
    progress(f"{label}...")
    return lambda: progress(f"{label}: done in {time.monotonic() - start:.1f} s")
