"""ROLIE categories of the provider's documents (CSAF requirement 17, RFC 8322 JSON), as pure
functions: which categories a document falls in, how a feed entry names them, and the category
document of the TLP folder, `category-<tlp>.json` (the name csaf_distribution's tools read).

A document falls in three kinds of category, the ones a SEC Party sorts its estate by: the
manufacturer and the device model (the `vendor` and `product_name` branch names of its product
tree, as the spec suggests) and the device type (ESME, GSME, CHF, ...: the spec's "type of
product"). The document category and language are the same for every document, and firmware
versions number in the thousands: neither would split the feed usefully (docs/csaf-mapping.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kir.catalogue.models import DeviceType
from kir.exports.csaf import product_name, vendor_name
from kir.exports.csaf_input import CsafIssue, Publisher, Version
from kir.exports.provider import category_document_url

# Scheme fragments, under the category document's URL: the scheme says where terms are listed.
KINDS = ("manufacturer", "model", "device-type")


def category_scheme(publisher: Publisher, kind: str) -> str:
    return f"{category_document_url(publisher)}#{kind}"


def document_categories(issue: CsafIssue) -> list[tuple[str, str]]:
    """(kind, term) of every category the issue's document falls in, sorted, each once."""
    versions: list[Version] = []
    for affected in issue.affected:
        if affected.version is not None:
            versions.append(affected.version)
        if affected.combination is not None:
            versions.extend(affected.combination.members)
    found: set[tuple[str, str]] = set()
    for version in versions:
        found.add(("manufacturer", vendor_name(version.manufacturer_name, version.manufacturer_id)))
        found.add(("model", product_name(version)))
        found.add(("device-type", device_type_term(version.device_type)))
    return sorted(found, key=category_order)


def category_order(pair: tuple[str, str]) -> tuple[int, str]:
    """Manufacturers, then models, then device types; each kind by term."""
    return KINDS.index(pair[0]), pair[1]


def device_type_term(device_type: str) -> str:
    label = DeviceType(device_type).label if device_type in DeviceType.values else device_type
    return f"{device_type} ({label})" if label != device_type else device_type


def rolie_categories(
    publisher: Publisher, pairs: Iterable[tuple[str, str]]
) -> list[dict[str, str]]:
    """RFC 8322 `category` objects: the scheme of the kind and the term."""
    return [{"scheme": category_scheme(publisher, kind), "term": term} for kind, term in pairs]


def category_document(publisher: Publisher, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The category document (RFC 8322 section 6.1.3; spec 7.1.17, example 3)."""
    return {"categories": {"category": rolie_categories(publisher, pairs)}}
