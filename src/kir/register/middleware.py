"""Per-request memos for reads that a GET or HEAD request repeats (see
selectors/visibility.py, `named_manufacturer_ids_memo`). Requests that may write read afresh."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kir.register.selectors.visibility import named_manufacturer_ids_memo

SAFE_METHODS = frozenset({"GET", "HEAD"})


class ReadMemoMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        with named_manufacturer_ids_memo():
            return self.get_response(request)
