"""A published issue's CSAF document as the bytes served, and their hashes.

The bytes are a function of the register's data alone (no generation time), so the hashes and
signatures served beside a document stay true until the issue changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kir.exports.csaf import csaf_document, csaf_document_path
from kir.exports.csaf_source import csaf_issue_from, csaf_publisher
from kir.exports.models import CsafEntry
from kir.exports.provider_categories import document_categories
from kir.register.models import Issue


@dataclass(frozen=True)
class RenderedDocument:
    path: str  # under .well-known/csaf/
    data: bytes  # UTF-8 JSON
    document: dict[str, Any]
    categories: list[tuple[str, str]]  # ROLIE (kind, term), kir.exports.provider_categories


def csaf_render(issue: Issue) -> RenderedDocument:
    values = csaf_issue_from(issue)
    document = csaf_document(values, csaf_publisher())
    # Compact: with `indent` the json module falls back to its pure-Python encoder, which took
    # 50 ms of a 200-product document's 80 (benchmarks/csaf_document.py).
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    return RenderedDocument(
        csaf_document_path(values), text.encode(), document, document_categories(values)
    )


def csaf_bytes(issue: Issue) -> tuple[str, bytes]:
    """(path under .well-known/csaf/, UTF-8 JSON) of the issue's CSAF document."""
    rendered = csaf_render(issue)
    return rendered.path, rendered.data


def csaf_served_bytes(issue: Issue) -> bytes:
    """The bytes the provider serves for the issue: its stored entry's, the very bytes its
    hashes and signature are of (one query: a 200-product document takes 30 ms to render),
    or rendered now while the worker has not stored it yet."""
    stored = CsafEntry.objects.filter(issue=issue).values_list("document", flat=True).first()
    return bytes(stored) if stored is not None else csaf_bytes(issue)[1]


def hash_line(algorithm: str, data: bytes, filename: str) -> str:
    """A `sha256sum`-style line, as spec section 7.1.18 asks for the `.sha256`/`.sha512` files."""
    return f"{hashlib.new(algorithm, data).hexdigest()}  {filename}\n"
