"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, for any test.

`hold(number)` makes the server keep that message's DATA (counted from 1 in order of arrival)
unanswered until `release()`, so a test can kill a client in the middle of a delivery; a held
message is answered 451 (not accepted) and is never counted as received.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

_HOLD_LIMIT_SECONDS = 60.0


@dataclass
class CapturedMail:
    """What the SMTP server accepted: envelope recipients and the parsed message."""

    recipients: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["message-id"])

    @property
    def body(self) -> str:
        return self._part("plain", "html")

    @property
    def html(self) -> str:
        return self._part("html")

    def _part(self, *preference: str) -> str:
        part = self.message.get_body(preferencelist=preference)
        # SMTP carries CRLF line ends; the tests compare with what the application wrote.
        return "\n".join(part.get_content().splitlines()) if part is not None else ""


@dataclass
class SmtpSink:
    host: str
    port: int
    delay_seconds: float = 0.0
    received: list[CapturedMail] = field(default_factory=list)
    held: list[CapturedMail] = field(default_factory=list)
    arrivals: int = 0
    _hold: int | None = None
    _released: bool = False

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        message = message_from_bytes(envelope.content, policy=policy.default)
        mail = CapturedMail(list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
        self.arrivals += 1
        if self.arrivals == self._hold:
            self.held.append(mail)
            deadline = time.monotonic() + _HOLD_LIMIT_SECONDS
            while not self._released and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return "451 Held by the test; not accepted"
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        self.received.append(mail)
        return "250 Message accepted for delivery"

    def hold(self, number: int) -> None:
        self._released = False
        self._hold = number

    def release(self) -> None:
        self._released = True

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CapturedMail]:
        """Wait until at least `count` messages arrived; fail rather than wait forever."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"expected {count} e-mails, got {len(self.received)}"
        return list(self.received)

    def wait_for_held(self, timeout: float = 30.0) -> CapturedMail:
        deadline = time.monotonic() + timeout
        while not self.held and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.held, "no message reached the SMTP server to be held"
        return self.held[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_smtp_server() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    try:
        yield sink
    finally:
        sink.release()
        controller.stop()


def point_django_at(settings, sink: SmtpSink) -> None:
    """Django's SMTP backend, in this process, sends to `sink`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
