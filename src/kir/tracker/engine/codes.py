"""Alert codes: which strings are codes at all, and what they mean (GBCS table shipped in data/)."""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

# A GBCS Device Alert code is 4 hex digits; DCC Alert codes are a letter and digits (N24, AD1...).
_DEVICE_ALERT = re.compile(r"^[0-9A-F]{4}$")
_DCC_ALERT = re.compile(r"^[A-Z]{1,2}[0-9]{1,3}[A-Z]?$")


def is_valid_alert_code(code: str | None) -> bool:
    if not code:
        return False
    return bool(_DEVICE_ALERT.match(code) or _DCC_ALERT.match(code))


@cache
def alert_code_descriptions() -> dict[str, str]:
    table = resources.files("kir.tracker.engine").joinpath("data/gbcs_alert_codes.csv")
    with table.open(encoding="utf-8") as handle:
        return {row["alert_code"].upper(): row["description"] for row in csv.DictReader(handle)}


def describe_alert_code(code: str) -> str:
    known = alert_code_descriptions().get(code.upper())
    if known:
        return known
    if _DEVICE_ALERT.match(code):
        return "Device Alert (not in the GBCS table shipped with kir)"
    return "DCC Alert"
