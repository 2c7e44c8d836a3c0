"""Identifier normalisation: every way people write an id maps to one canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kir.identifiers import (
    Component,
    IdentifierError,
    dmc_identifier,
    normalise_device_id,
    normalise_firmware_version,
    normalise_manufacturer_id,
    normalise_model_id,
)

HEX = "0123456789abcdefABCDEF"
SEPARATORS = ["-", ":", " ", ""]

NORMALISERS = [
    (normalise_manufacturer_id, 4, "manufacturer identifier"),
    (normalise_model_id, 8, "model identifier"),
    (normalise_firmware_version, 8, "firmware version"),
    (normalise_device_id, 16, "device id"),
]


def hex_ids(digits: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789ABCDEF", min_size=digits, max_size=digits)


@st.composite
def written_variant(draw: st.DrawFn, canonical_digits: str) -> str:
    """The same digits as a person might type them: any case, separators between any digits."""
    out = []
    for index, char in enumerate(canonical_digits):
        out.append(char.lower() if draw(st.booleans()) else char)
        if index < len(canonical_digits) - 1:
            out.append(draw(st.sampled_from(SEPARATORS)))
    padding = draw(st.sampled_from(["", " ", "  "]))
    return padding + "".join(out) + padding


@pytest.mark.parametrize(("normalise", "digits", "field"), NORMALISERS)
@given(data=st.data())
def test_it_maps_every_written_variant_to_one_canonical_form(normalise, digits, field, data):
    canonical_digits = data.draw(hex_ids(digits))
    variant = data.draw(written_variant(canonical_digits))
    assert normalise(variant) == normalise(canonical_digits)
    assert normalise(variant).replace("-", "") == canonical_digits


@pytest.mark.parametrize(("normalise", "digits", "field"), NORMALISERS)
@given(data=st.data())
def test_it_is_idempotent(normalise, digits, field, data):
    once = normalise(data.draw(written_variant(data.draw(hex_ids(digits)))))
    assert normalise(once) == once


@pytest.mark.parametrize(("normalise", "digits", "field"), NORMALISERS)
@given(data=st.data())
def test_it_rejects_a_wrong_length_naming_the_field(normalise, digits, field, data):
    length = data.draw(st.integers(min_value=0, max_value=24).filter(lambda n: n != digits))
    value = data.draw(st.text(alphabet=HEX, min_size=length, max_size=length))
    with pytest.raises(IdentifierError, match=field):
        normalise(value)


@pytest.mark.parametrize(("normalise", "digits", "field"), NORMALISERS)
@given(data=st.data())
def test_it_rejects_a_non_hex_character_naming_the_field(normalise, digits, field, data):
    digits_text = list(data.draw(hex_ids(digits)))
    position = data.draw(st.integers(min_value=0, max_value=digits - 1))
    digits_text[position] = data.draw(st.sampled_from("GHIJKLMNOPQRSTUVWYZghijz!?#+/"))
    with pytest.raises(IdentifierError, match=field):
        normalise("".join(digits_text))


def test_it_writes_device_ids_in_the_gbcs_form():
    assert normalise_device_id("00db1234567890a0") == "00-DB-12-34-56-78-90-A0"
    assert normalise_device_id("00:DB:12:34:56:78:90:A0") == "00-DB-12-34-56-78-90-A0"


def test_it_drops_a_0x_prefix():
    assert normalise_manufacturer_id("0x10a5") == "10A5"


def test_it_rejects_a_non_string_naming_the_field():
    with pytest.raises(IdentifierError, match="model identifier"):
        normalise_model_id(12345678)  # type: ignore[arg-type]


DEVICE_TYPES = ["ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS", "IHD", "CAD"]

components = st.builds(
    Component,
    device_type=st.sampled_from(DEVICE_TYPES),
    manufacturer=hex_ids(4),
    model=hex_ids(8),
    firmware_version=hex_ids(8),
)


def _rewritten(component: Component, data: st.DataObject) -> Component:
    return Component(
        data.draw(st.sampled_from([component.device_type, component.device_type.lower()])),
        data.draw(written_variant(component.manufacturer)),
        data.draw(written_variant(component.model)),
        data.draw(written_variant(component.firmware_version)),
    )


@given(members=st.lists(components, min_size=1, max_size=6), data=st.data())
def test_it_gives_a_dmc_one_id_whatever_the_order_case_or_duplicates(members, data):
    shuffled = data.draw(st.permutations(members))
    rewritten = [_rewritten(c, data) for c in shuffled]
    duplicated = rewritten + data.draw(st.lists(st.sampled_from(rewritten), max_size=3))
    assert dmc_identifier(duplicated) == dmc_identifier(members)


@given(
    first=st.sets(components, min_size=1, max_size=5),
    second=st.sets(components, min_size=1, max_size=5),
)
def test_it_gives_different_combinations_different_ids(first, second):
    if first == second:
        assert dmc_identifier(first) == dmc_identifier(second)
    else:
        assert dmc_identifier(first) != dmc_identifier(second)


def test_it_refuses_an_empty_combination():
    with pytest.raises(IdentifierError, match="DMC"):
        dmc_identifier([])


def test_it_names_the_bad_member_of_a_combination():
    with pytest.raises(IdentifierError, match="firmware version"):
        dmc_identifier([Component("ESME", "10A5", "0000ABCD", "1.2")])
