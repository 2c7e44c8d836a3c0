"""An upload over the limit is refused from its Content-Length, before its body is read
(issue 16 row 13)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from kir.register.models import Evidence
from tests.register.ui_cast import make_ui_cast

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


class CountingInput(io.RawIOBase):
    """A request body that only counts how much of it the server reads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


def _post_raw(path: str, size: int, session_cookie: str) -> tuple[str, bytes, CountingInput]:
    body = CountingInput(size)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(size),
        "HTTP_COOKIE": f"sessionid={session_cookie}",
    }
    statuses: list[str] = []
    # As Django's test client does: the request's end must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
        content = b"".join(chunks)
        chunks.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return statuses[0], content, body


def test_it_refuses_a_300_mib_upload_without_reading_it():
    cast = make_ui_cast()
    issue = cast.published()
    client = Client()
    client.force_login(cast.reporter)
    cookie = client.cookies["sessionid"].value
    status, content, body = _post_raw(f"/issues/{issue.human_id}/evidence/new/", 300 * MIB, cookie)
    assert status.startswith("413")
    assert b"larger than the limit of 51 MiB" in content
    assert body.read_bytes == 0
    assert not Evidence.objects.exists()


def test_the_api_answers_in_json():
    cast = make_ui_cast()
    client = Client()
    client.force_login(cast.reporter)
    status, content, body = _post_raw("/api/issues", 300 * MIB, client.cookies["sessionid"].value)
    assert status.startswith("413") and content.startswith(b'{"detail": "The request is larger')
    assert body.read_bytes == 0


def test_an_upload_within_the_limit_still_works(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.KIR_MAX_UPLOAD_BYTES = MIB
    settings.KIR_MAX_REQUEST_BYTES = 2 * MIB
    cast = make_ui_cast()
    issue = cast.published()
    client = Client()
    client.force_login(cast.reporter)
    url = f"/issues/{issue.human_id}/evidence/new/"
    fits = SimpleUploadedFile("fits.csv", b"x" * (MIB - 1))
    assert client.post(url, {"file": fits, "description": "Fits"}).status_code == 302
    over_file = SimpleUploadedFile("big.csv", b"x" * (MIB + 1))
    refused = client.post(url, {"file": over_file, "description": "Too big"})
    assert refused.status_code == 422 and "At most 1 MiB." in refused.content.decode()
    over_request = SimpleUploadedFile("huge.csv", b"x" * (2 * MIB + 1))
    assert client.post(url, {"file": over_request, "description": "Huge"}).status_code == 413
    assert list(Evidence.objects.values_list("description", flat=True)) == ["Fits"]
