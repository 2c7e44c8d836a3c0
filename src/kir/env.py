"""Typed helpers that read settings from the environment and fail loudly on bad values.

A misspelt boolean or a non-numeric port must stop the process at start-up with the variable's
name in the message, not turn into a silent default in production.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_SETTING_NAME = re.compile(r"^KIR_[A-Z0-9_]+$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ValueError):
    pass


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name}={raw!r}: expected one of true/false, yes/no, on/off, 1/0")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected an integer") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def load_settings_file(path: Path) -> None:
    """Fill in, from a file of NAME=value lines, the settings the environment does not set.

    The environment always wins, so production (which sets it) is never overridden by a file
    left on disk. Blank lines and lines starting with # are skipped; values are taken as
    written, without quotes or expansion. A malformed line stops start-up naming the file and
    the line, and nothing of the file is applied.
    """
    if not path.is_file():
        return
    values = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, separator, value = text.partition("=")
        name = name.strip()
        if not separator or not _SETTING_NAME.match(name):
            raise SettingError(f"{path}:{number}: expected NAME=value, got {text!r}")
        values[name] = value.strip()
    for name, value in values.items():
        os.environ.setdefault(name, value)
