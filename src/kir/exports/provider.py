"""The provider's own files (spec section 7) as pure functions: provider metadata, the ROLIE
feed's head and entries (RFC 8322 JSON), the ROLIE service document, `index.txt` and
`changes.csv` lines (the category document: kir.exports.provider_categories). Inputs are
plain values; kir.exports.provider_services stores and kir.exports.provider_views serves what
these make.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from kir.exports.csaf import CSAF_VERSION, TLP_LABEL, csaf_timestamp
from kir.exports.csaf_input import Publisher
from kir.exports.signing import PublicKey

WELL_KNOWN = "/.well-known/csaf"
CSAF_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
ROLIE_CATEGORY = {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
TLP_FOLDER = TLP_LABEL.lower()
FEED_NAME = f"csaf-feed-tlp-{TLP_FOLDER}.json"
# The ROLIE category document of the folder (requirement 17): kir.exports.provider_categories.
CATEGORY_DOCUMENT = f"category-{TLP_FOLDER}.json"


def provider_url(publisher: Publisher, path: str) -> str:
    return f"{publisher.base_url}{WELL_KNOWN}/{path}"


def feed_url(publisher: Publisher) -> str:
    return provider_url(publisher, f"{TLP_FOLDER}/{FEED_NAME}")


def category_document_url(publisher: Publisher) -> str:
    return provider_url(publisher, f"{TLP_FOLDER}/{CATEGORY_DOCUMENT}")


def key_url(publisher: Publisher, fingerprint: str) -> str:
    return provider_url(publisher, f"openpgp/{fingerprint}.asc")


def provider_metadata(
    publisher: Publisher, keys: Iterable[PublicKey], last_updated: datetime
) -> dict[str, Any]:
    """provider-metadata.json: a trusted provider with one ROLIE feed, TLP:GREEN. Not listed
    or mirrored by aggregators: the register is for SEC Parties, not the public."""
    return {
        "canonical_url": provider_url(publisher, "provider-metadata.json"),
        "distributions": [
            {
                "rolie": {
                    "feeds": [
                        {
                            "summary": f"All TLP:{TLP_LABEL} documents of the Known Issues "
                            "Register (SEC Parties: sign in or send a personal token).",
                            "tlp_label": TLP_LABEL,
                            "url": feed_url(publisher),
                        }
                    ],
                    "services": [provider_url(publisher, "service.json")],
                }
            }
        ],
        "last_updated": csaf_timestamp(last_updated),
        "list_on_CSAF_aggregators": False,
        "metadata_version": CSAF_VERSION,
        "mirror_on_CSAF_aggregators": False,
        "public_openpgp_keys": [
            {"fingerprint": key.fingerprint, "url": key_url(publisher, key.fingerprint)}
            for key in keys
        ],
        "publisher": {
            "category": "coordinator",
            "name": publisher.name,
            "namespace": publisher.namespace,
            "contact_details": publisher.contact_details,
        },
        "role": "csaf_trusted_provider",
    }


def service_document(publisher: Publisher) -> dict[str, Any]:
    """The ROLIE service document (section 7.1.16) naming the one feed."""
    return {
        "service": {
            "workspace": [
                {
                    "title": f"{publisher.name} Known Issues Register CSAF documents",
                    "collection": [
                        {
                            "title": f"TLP:{TLP_LABEL} documents",
                            "href": feed_url(publisher),
                            "categories": {"category": [ROLIE_CATEGORY]},
                        }
                    ],
                }
            ]
        }
    }


def feed_entry(
    publisher: Publisher,
    path: str,
    document: dict[str, Any],
    signed: bool,
    categories: list[dict[str, str]],
) -> str:
    """The document's ROLIE entry as JSON text, stored with the document and streamed into the
    feed as it is; `categories` are its ROLIE categories (kir.exports.provider_categories)."""
    tracking = document["document"]["tracking"]
    url = provider_url(publisher, f"{TLP_FOLDER}/{path}")
    links = [{"rel": "self", "href": url}]
    links += [{"rel": "hash", "href": f"{url}.{suffix}"} for suffix in ("sha256", "sha512")]
    if signed:
        links.append({"rel": "signature", "href": f"{url}.asc"})
    summary = next(
        (n["text"] for n in document["document"]["notes"] if n["category"] == "summary"),
        document["document"]["title"],
    )
    entry = {
        "id": tracking["id"],
        "title": document["document"]["title"],
        "link": links,
        "published": tracking["initial_release_date"],
        "updated": tracking["current_release_date"],
        "summary": {"content": summary},
        "category": [ROLIE_CATEGORY, *categories],
        "content": {"type": "application/json", "src": url},
        "format": {"schema": CSAF_SCHEMA, "version": CSAF_VERSION},
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def feed_chunks(publisher: Publisher, updated: datetime, entries: Iterable[str]) -> Iterator[str]:
    """The ROLIE feed (section 7.1.15) as text chunks: its head, then the stored entries."""
    head = {
        "id": f"kir-csaf-feed-tlp-{TLP_FOLDER}",
        "title": f"{publisher.name} Known Issues Register (TLP:{TLP_LABEL})",
        # The category document lists every category the feed's entries name (RFC 4287 `related`).
        "link": [
            {"rel": "self", "href": feed_url(publisher)},
            {"rel": "related", "href": category_document_url(publisher)},
        ],
        "category": [ROLIE_CATEGORY],
        "updated": csaf_timestamp(updated),
    }
    yield json.dumps({"feed": head}, ensure_ascii=False, separators=(",", ":"))[:-2]
    yield ',"entry":['
    for index, entry in enumerate(entries):
        yield entry if index == 0 else "," + entry
    yield "]}}\n"


def change_line(path: str, current_release: datetime) -> str:
    """One `changes.csv` line (section 7.1.13): path under the TLP folder, current release."""
    return f'"{path}","{csaf_timestamp(current_release)}"\n'
