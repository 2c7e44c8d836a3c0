"""The CSAF documents where spec section 7 puts them: `/.well-known/csaf/<tlp>/<year>/<file>`,
each with its `.sha256` and `.sha512`. The register's TLP:GREEN folder is not public: a reader
signs in (session) or sends a personal token (`Authorization: Bearer kir_...`); without either
the answer is 401, and an issue the reader may not see answers 404 like a missing one."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from kir.accounts.models import User
from kir.accounts.selectors import user_is_member
from kir.accounts.services import token_authenticate
from kir.exports.csaf import TLP_LABEL
from kir.exports.documents import csaf_bytes, hash_line
from kir.exports.selectors import csaf_issue_get_visible

HASHES = {".sha256": "sha256", ".sha512": "sha512"}


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
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = 'Bearer realm="kir"'
    return response


@require_GET
def csaf_file(request: HttpRequest, tlp: str, year: int, filename: str) -> HttpResponse:
    reader = csaf_reader(request)
    if reader is None:
        return unauthorised()
    suffix = next((s for s in HASHES if filename.endswith(s)), "")
    document_name = filename.removesuffix(suffix)
    if tlp != TLP_LABEL.lower() or not document_name.endswith(".json"):
        raise Http404("No such document.")
    issue = csaf_issue_get_visible(user=reader, human_id=document_name.removesuffix(".json"))
    path, data = csaf_bytes(issue)
    if path != f"{tlp}/{year}/{document_name}":
        raise Http404("No such document.")
    if suffix:
        line = hash_line(HASHES[suffix], data, document_name)
        return HttpResponse(line, content_type="text/plain; charset=utf-8")
    return HttpResponse(data, content_type="application/json")
