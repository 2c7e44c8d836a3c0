"""Normalisation of GBCS identifiers, shared by the catalogue, the register and the tracker engine.

Pure Python, no Django: the tracker engine imports it too, so a DMC gets the same id whether the
catalogue or the tracker computed it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from typing import NamedTuple

_SEPARATORS = re.compile(r"[\s\-:._]")
_HEX = re.compile(r"^[0-9A-F]+$")


class IdentifierError(ValueError):
    pass


def normalise_hex(value: str, *, digits: int, what: str = "identifier") -> str:
    """Upper-case hex of exactly `digits` digits; a 0x prefix and separators are dropped."""
    if not isinstance(value, str):
        raise IdentifierError(f"{what}: expected {digits} hex digits, got {value!r}")
    text = _SEPARATORS.sub("", value.strip()).upper()
    if text.startswith("0X"):
        text = text[2:]
    if len(text) != digits or not _HEX.match(text):
        raise IdentifierError(f"{what}: expected {digits} hex digits, got {value!r}")
    return text


def normalise_manufacturer_id(value: str) -> str:
    return normalise_hex(value, digits=4, what="manufacturer identifier")


def normalise_model_id(value: str) -> str:
    return normalise_hex(value, digits=8, what="model identifier")


def normalise_firmware_version(value: str) -> str:
    return normalise_hex(value, digits=8, what="firmware version")


def normalise_device_id(value: str) -> str:
    """An EUI-64 Device ID in its canonical written form, 00-DB-12-34-56-78-90-A0."""
    digits = normalise_hex(value, digits=16, what="device id (EUI-64)")
    return "-".join(digits[i : i + 2] for i in range(0, 16, 2))


class Component(NamedTuple):
    """One member of a Device Model Combination: what the tracker sees of an installed Device."""

    device_type: str
    manufacturer: str
    model: str
    firmware_version: str

    def key(self) -> str:
        return f"{self.device_type}/{self.manufacturer}/{self.model}/{self.firmware_version}"


@functools.lru_cache(maxsize=4096)
def canonical_component(c: Component) -> Component:
    # Cached: a national estate has tens of thousands of DMCs built from a few hundred parts.
    return Component(
        c.device_type.strip().upper(),
        normalise_manufacturer_id(c.manufacturer),
        normalise_model_id(c.model),
        normalise_firmware_version(c.firmware_version),
    )


def canonical_components(components: Iterable[Component]) -> tuple[Component, ...]:
    unique = {canonical_component(c) for c in components}
    if not unique:
        raise IdentifierError("a DMC needs at least one device")
    return tuple(sorted(unique))


def dmc_identifier(components: Iterable[Component]) -> str:
    """The one id of a combination: a hash of its sorted, normalised members."""
    canonical = canonical_components(components)
    digest = hashlib.sha256("|".join(c.key() for c in canonical).encode()).hexdigest()
    return f"DMC-{digest[:12].upper()}"
