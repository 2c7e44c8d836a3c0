"""What a procurement check is asked about, from a form, a pasted list or the API.

Input handling only: each line or field becomes a `ProcurementItem` with normalised identifiers,
or an error naming the line and what was expected. The check itself is
selectors/procurement.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kir.identifiers import (
    IdentifierError,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)

if TYPE_CHECKING:
    from kir.catalogue.models import DeviceVersion

MAX_PROCUREMENT_ITEMS = 500
_DMC = re.compile(r"^DMC-[0-9A-F]{12}$")
_SEPARATORS = re.compile(r"[\s/,;]+")
_FIRMWARE_WORDS = frozenset({"fw", "firmware"})
LINE_FORMAT = (
    "expected MANUFACTURER MODEL (4 and 8 hex digits), optionally followed by fw FIRMWARE "
    "(8 hex digits), or a DMC identifier (DMC- and 12 hex digits)"
)

ItemKind = Literal["model", "firmware", "dmc"]


@dataclass(frozen=True)
class ProcurementItem:
    """A model (any firmware), a model at one firmware version, or a DMC; ids normalised."""

    kind: ItemKind
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    dmc: str = ""

    @property
    def label(self) -> str:
        if self.kind == "dmc":
            return self.dmc
        label = f"{self.manufacturer}/{self.model}"
        return f"{label}/{self.firmware}" if self.firmware else label


def procurement_item(
    *, manufacturer: str = "", model: str = "", firmware: str = "", dmc: str = ""
) -> ProcurementItem:
    """An item from separate fields; IdentifierError (a ValueError) names the bad field."""
    if dmc.strip():
        identifier = dmc.strip().upper()
        if not _DMC.match(identifier):
            raise IdentifierError(f"DMC identifier: expected DMC- and 12 hex digits, got {dmc!r}")
        return ProcurementItem(kind="dmc", dmc=identifier)
    manufacturer_id = normalise_manufacturer_id(manufacturer)
    model_id = normalise_model_id(model)
    if not firmware.strip():
        return ProcurementItem(kind="model", manufacturer=manufacturer_id, model=model_id)
    return ProcurementItem(
        kind="firmware",
        manufacturer=manufacturer_id,
        model=model_id,
        firmware=normalise_firmware_version(firmware),
    )


def procurement_item_for_version(version: DeviceVersion) -> ProcurementItem:
    """An item for a device version picked from the catalogue (its model at its firmware)."""
    model = version.device_model
    return ProcurementItem(
        kind="firmware",
        manufacturer=model.manufacturer.identifier,
        model=model.model_id,
        firmware=version.firmware_version,
    )


@dataclass(frozen=True)
class ProcurementLineError:
    line: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.text!r}): {self.message}"


def parse_procurement_line(text: str) -> ProcurementItem:
    """One pasted line: "1A2B 00012345", "1A2B/00012345 fw 01020304", "DMC-0123456789AB"."""
    stripped = text.strip()
    if stripped.upper().startswith("DMC-"):
        return procurement_item(dmc=stripped)
    tokens = [token for token in _SEPARATORS.split(stripped) if token]
    if len(tokens) == 4 and tokens[2].lower() in _FIRMWARE_WORDS:
        del tokens[2]
    if len(tokens) not in (2, 3):
        raise IdentifierError(LINE_FORMAT)
    firmware = tokens[2] if len(tokens) == 3 else ""
    return procurement_item(manufacturer=tokens[0], model=tokens[1], firmware=firmware)


def parse_procurement_text(
    text: str,
) -> tuple[list[ProcurementItem], list[ProcurementLineError]]:
    """Items of a pasted list, one per line (blank and # lines skipped), and each bad line's error.

    Duplicates are checked once. Lines beyond MAX_PROCUREMENT_ITEMS items are refused, not cut
    silently.
    """
    items: dict[ProcurementItem, None] = {}
    errors: list[ProcurementLineError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = parse_procurement_line(line)
        except IdentifierError as error:
            errors.append(ProcurementLineError(number, line.strip(), str(error)))
            continue
        if item not in items and len(items) >= MAX_PROCUREMENT_ITEMS:
            message = f"too many items: at most {MAX_PROCUREMENT_ITEMS} are checked at once"
            errors.append(ProcurementLineError(number, line.strip(), message))
            continue
        items.setdefault(item, None)
    return list(items), errors
