"""One log line per request, tied to the response by a request id.

A caller (a proxy, a Party's integration) may send its own `X-Request-ID`; a well-formed one is
kept so both sides' logs meet, anything else is replaced. The id goes back in the response. The
line has the method, the path without its query (search text stays out of the logs), the status,
the time taken and the user's id, never a token or a name.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("kir.request")
REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_for(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _WELL_FORMED_ID.match(offered) else uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response[REQUEST_ID_HEADER] = request_id
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        logger.info(
            "%s %s %s %.1fms user=%s request_id=%s",
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            user_id,
            request_id,
        )
        return response
