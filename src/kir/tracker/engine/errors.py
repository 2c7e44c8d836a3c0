"""Errors the tracker engine raises; the CLI turns each into a message and a non-zero exit."""

from __future__ import annotations


class TrackerError(Exception):
    """Anything the user can fix: bad input, bad rules, a state directory out of order."""


class InputFileError(TrackerError):
    def __init__(self, path: object, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)


class MissingColumnError(InputFileError):
    def __init__(self, path: object, column: str, found: list[str]) -> None:
        found_text = ", ".join(found) if found else "none"
        super().__init__(path, f"missing required column {column!r} (found: {found_text})")
        self.column = column


class TooManyRejectsError(TrackerError):
    pass
