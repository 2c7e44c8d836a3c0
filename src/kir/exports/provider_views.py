"""The provider's public files: provider-metadata.json, the ROLIE service document, the
OpenPGP public keys and `/.well-known/security.txt`; and the signed audit anchor, for
signed-in SEC Parties."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kir.exports.csaf_source import csaf_publisher
from kir.exports.models import CsafAnchor
from kir.exports.provider import provider_metadata, provider_url, service_document
from kir.exports.security_txt import security_txt, security_txt_expires
from kir.exports.selectors import csaf_last_updated
from kir.exports.signing import clearsign, public_key_armoured, public_keys
from kir.exports.views import TEXT, csaf_reader, unauthorised


def _json(value: dict[str, Any]) -> JsonResponse:
    return JsonResponse(value, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_GET
def metadata(request: HttpRequest) -> JsonResponse:
    updated = csaf_last_updated() or timezone.now()
    return _json(provider_metadata(csaf_publisher(), public_keys(), updated))


@require_GET
def service(request: HttpRequest) -> JsonResponse:
    return _json(service_document(csaf_publisher()))


@require_GET
def security_txt_file(request: HttpRequest) -> HttpResponse:
    """RFC 9116's file, cleartext-signed by the register's key once one exists."""
    publisher = csaf_publisher()
    text = security_txt(
        contact=settings.SECURITY_CONTACT,
        expires=security_txt_expires(
            timezone.now().astimezone(UTC).date(), settings.SECURITY_TXT_DAYS
        ),
        canonical_url=f"{publisher.base_url}/.well-known/security.txt",
        csaf_url=provider_url(publisher, "provider-metadata.json"),
    )
    return HttpResponse(clearsign(text), content_type=TEXT)


@require_GET
def openpgp_key(request: HttpRequest, fingerprint: str) -> HttpResponse:
    armoured = public_key_armoured(fingerprint.upper())
    if armoured is None:
        raise Http404("No such key.")
    return HttpResponse(armoured, content_type="application/pgp-keys")


@require_GET
def audit_anchor_file(request: HttpRequest, filename: str) -> HttpResponse:
    """The newest signed anchor of the audit chain (`anchor.txt`, `anchor.txt.asc`)."""
    if csaf_reader(request) is None:
        return unauthorised()
    anchor = CsafAnchor.objects.order_by("-id").first()
    if anchor is None or filename not in ("anchor.txt", "anchor.txt.asc"):
        raise Http404("No anchor published yet.")
    if filename == "anchor.txt":
        return HttpResponse(anchor.line, content_type=TEXT)
    if not anchor.signature:
        raise Http404("The anchor is not signed yet.")
    return HttpResponse(anchor.signature, content_type="application/pgp-signature")
