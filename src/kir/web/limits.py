"""Request size limits, checked before a byte of the body is read.

Django reads no more of a body than its Content-Length says (and nothing without one), so
refusing on the header bounds what reaches memory or /tmp: a 300 MiB upload is answered 413
at once instead of after the whole file was spooled to disk. Bodies that are not uploads are
bounded further by DATA_UPLOAD_MAX_MEMORY_SIZE (the API answers 413 for those too).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    detail = (
        f"The request is larger than the limit of {limit // (1024 * 1024)} MiB "
        f"({limit} bytes); nothing was saved."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=413)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.KIR_MAX_REQUEST_BYTES
        if _declared_length(request) > limit:
            return _too_large(request, limit)
        return self.get_response(request)
