"""A real HTTP receiver for webhooks on 127.0.0.1 that verifies every delivery's signature with
the `standardwebhooks` library, as a customer's receiver would.

`answers` are the status codes given in order of arrival (200 once they run out). `hold(n)`
keeps the n-th request (counted from 1) unanswered until `release()`, so a test can kill a
worker while the receiver holds its connection; a held request has been received (the receiver
saw it whole) and is answered 200 on release, to a connection nobody may hold any more.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

_HOLD_LIMIT_SECONDS = 60.0


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    verified_with: str | None  # the secret that verified it, or None
    at: float = field(default_factory=time.monotonic)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    url: str = ""
    _hold: int | None = None
    _released: threading.Event = field(default_factory=threading.Event)
    _held: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, headers: dict[str, str], body: bytes) -> tuple[int, bool]:
        """Record a delivery; the status to answer and whether to hold it first."""
        delivery = Delivery(headers, body, self._verify(headers, body))
        with self._lock:
            self.received.append(delivery)
            number = len(self.received)
            status = self.answers[number - 1] if number <= len(self.answers) else 200
        return status, number == self._hold

    def _verify(self, headers: dict[str, str], body: bytes) -> str | None:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return secret
        return None

    def hold(self, number: int) -> None:
        self._released.clear()
        self._hold = number

    def wait_held(self, timeout: float = 30.0) -> Delivery:
        assert self._held.wait(timeout), "no delivery reached the receiver to be held"
        return self.received[self._hold - 1]  # type: ignore[operator]

    def release(self) -> None:
        self._released.set()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"expected {count} deliveries, got {self.received}"
        return list(self.received)

    def unique(self) -> dict[str, Delivery]:
        """What a receiver that drops repeats by `webhook-id` keeps: the first of each."""
        kept: dict[str, Delivery] = {}
        for delivery in self.received:
            kept.setdefault(delivery.webhook_id, delivery)
        return kept


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, hold = receiver.accept(headers, body)
            if hold:
                receiver._held.set()
                receiver._released.wait(_HOLD_LIMIT_SECONDS)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the worker that sent it is gone

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(secrets: list[str] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(secrets=list(secrets or []))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
