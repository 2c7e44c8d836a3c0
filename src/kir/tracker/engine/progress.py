"""Progress lines: how a run tells its caller which phase it has reached."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """The progress of a caller that asked for none: every line is dropped."""
