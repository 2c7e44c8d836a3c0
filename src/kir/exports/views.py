"""The TLP:GREEN folder of the provider, where spec section 7 puts it: documents at
`/.well-known/csaf/green/<year>/<file>` with `.sha256`, `.sha512` and `.asc` beside each, the
ROLIE feed, `index.txt` and `changes.csv`. The folder is not public: a reader signs in
(session) or sends a personal token (`Authorization: Bearer kir_...`); without either the
answer is 401, and a document the reader may not see answers 404 like a missing one.

Documents come from the stored entries the worker writes (kir.exports.provider_services). One
published a moment ago whose entry is not written yet is rendered on the spot, with its hashes;
its signature follows with the entry.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kir.accounts.models import User
from kir.accounts.selectors import user_is_member
from kir.accounts.services import token_authenticate
from kir.exports.csaf_source import csaf_publisher
from kir.exports.documents import csaf_bytes, hash_line
from kir.exports.models import CsafEntry
from kir.exports.provider import TLP_FOLDER, change_line, feed_chunks
from kir.exports.provider_categories import category_document, category_order
from kir.exports.selectors import (
    csaf_categories_visible_to,
    csaf_changes_visible_to,
    csaf_entries_visible_to,
    csaf_entry_get_visible,
    csaf_issue_get_visible,
)

HASHES = {".sha256": "sha256", ".sha512": "sha512"}
SUFFIXES = (*HASHES, ".asc")
TEXT = "text/plain; charset=utf-8"


def csaf_reader(request: HttpRequest) -> User | None:
    """The member asking, by personal token or session; None for anyone else."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return token_authenticate(header.removeprefix("Bearer ").strip())
    user = request.user
    return user if isinstance(user, User) and user_is_member(user) else None


def unauthorised() -> HttpResponse:
    response = HttpResponse(
        "Sign in or send a personal token to read TLP:GREEN documents.\n",
        status=401,
        content_type=TEXT,
    )
    response["WWW-Authenticate"] = 'Bearer realm="kir"'
    return response


def _reader_or_401(request: HttpRequest, tlp: str) -> User | HttpResponse:
    reader = csaf_reader(request)
    if reader is None:
        return unauthorised()
    if tlp != TLP_FOLDER:
        raise Http404("No such folder.")
    return reader


@require_GET
def csaf_file(request: HttpRequest, tlp: str, year: int, filename: str) -> HttpResponse:
    reader = _reader_or_401(request, tlp)
    if isinstance(reader, HttpResponse):
        return reader
    suffix = next((s for s in SUFFIXES if filename.endswith(s)), "")
    document_name = filename.removesuffix(suffix)
    if not document_name.endswith(".json"):
        raise Http404("No such document.")
    entry = csaf_entry_get_visible(user=reader, path=f"{year}/{document_name}")
    if entry is not None:
        return _entry_file(entry, suffix, document_name)
    issue = csaf_issue_get_visible(user=reader, human_id=document_name.removesuffix(".json"))
    path, data = csaf_bytes(issue)
    if path != f"{tlp}/{year}/{document_name}" or suffix == ".asc":
        raise Http404("No such document.")
    if suffix:
        return HttpResponse(hash_line(HASHES[suffix], data, document_name), content_type=TEXT)
    return HttpResponse(data, content_type="application/json")


def _entry_file(entry: CsafEntry, suffix: str, document_name: str) -> HttpResponse:
    if suffix == ".asc":
        if not entry.signature:
            raise Http404("No signature yet.")
        return HttpResponse(entry.signature, content_type="application/pgp-signature")
    if suffix:
        digest = entry.sha256 if suffix == ".sha256" else entry.sha512
        return HttpResponse(f"{digest}  {document_name}\n", content_type=TEXT)
    return HttpResponse(bytes(entry.document), content_type="application/json")


def _streamed(chunks: Iterator[str], content_type: str) -> StreamingHttpResponse:
    return StreamingHttpResponse((chunk.encode() for chunk in chunks), content_type=content_type)


@require_GET
def csaf_feed(request: HttpRequest, tlp: str) -> HttpResponse | StreamingHttpResponse:
    """The ROLIE feed: the stored entries the reader may see, streamed as they are stored."""
    reader = _reader_or_401(request, tlp)
    if isinstance(reader, HttpResponse):
        return reader
    entries = csaf_entries_visible_to(user=reader)
    newest = entries.values_list("current_release", flat=True).first() or timezone.now()
    stored = entries.values_list("feed_entry", flat=True).iterator(chunk_size=2000)
    return _streamed(feed_chunks(csaf_publisher(), newest, stored), "application/json")


@require_GET
def csaf_category_document(request: HttpRequest, tlp: str) -> HttpResponse:
    """The ROLIE category document (section 7.1.17) of the categories the reader's documents
    fall in; the feed links to it and each entry names its own."""
    reader = _reader_or_401(request, tlp)
    if isinstance(reader, HttpResponse):
        return reader
    pairs = sorted(csaf_categories_visible_to(user=reader), key=category_order)
    document = category_document(csaf_publisher(), pairs)
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_GET
def csaf_index(request: HttpRequest, tlp: str) -> HttpResponse | StreamingHttpResponse:
    """index.txt (section 7.1.12): every document's path under the folder, one a line."""
    reader = _reader_or_401(request, tlp)
    if isinstance(reader, HttpResponse):
        return reader
    paths = csaf_entries_visible_to(user=reader).order_by("path").values_list("path", flat=True)
    return _streamed((f"{path}\n" for path in paths.iterator(chunk_size=2000)), TEXT)


@require_GET
def csaf_changes(request: HttpRequest, tlp: str) -> HttpResponse | StreamingHttpResponse:
    """changes.csv (section 7.1.13): newest first; a change adds a line at the top."""
    reader = _reader_or_401(request, tlp)
    if isinstance(reader, HttpResponse):
        return reader
    rows = csaf_changes_visible_to(user=reader).values_list("path", "current_release")
    lines = (change_line(path, moment) for path, moment in rows.iterator(chunk_size=2000))
    return _streamed(lines, "text/csv; charset=utf-8")
