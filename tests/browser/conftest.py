"""Harness for browser tests: a real Chromium (Debian's, through Playwright) against pytest-django's
live server, and a real SMTP server (aiosmtpd) that captures what the application sends.

Playwright's sync API runs an event loop in this thread, which Django's async-safety guard would
take for async code calling the ORM; the tests' own ORM use is synchronous, so the guard is lifted.
"""

from __future__ import annotations

import importlib
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# Every Playwright wait gives up after this long: a broken page fails the test, never hangs it.
STEP_TIMEOUT_MS = 15_000
# Starting Chromium on a busy 2-core machine has taken over 15 s; a page step never should.
LAUNCH_TIMEOUT_MS = 60_000


@dataclass
class CapturedMail:
    """What the SMTP server received: envelope recipients and the parsed message."""

    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class SmtpSink:
    host: str
    port: int
    received: list[CapturedMail] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(CapturedMail(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CapturedMail]:
        """Wait until at least `count` messages arrived; fail rather than wait forever."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"expected {count} e-mails, got {len(self.received)}"
        return list(self.received)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpSink]:
    """A real SMTP server on a free local port, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        # A silent skip would let a run without a browser pass as if the UI had been tested.
        if os.environ.get("KIR_SKIP_BROWSER_TESTS") == "1":
            pytest.skip(f"{CHROMIUM} is not installed and KIR_SKIP_BROWSER_TESTS=1")
        pytest.fail(f"{CHROMIUM} is not installed: run `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (its own cookies) per persona; all closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def register_reference_data(transactional_db) -> None:
    """The phrase list and policy version 1 that the register's data migration creates.

    Transactional tests truncate every table afterwards, data-migration rows included, so a
    browser test cannot count on them; the migration's own (idempotent) function puts them back.
    """
    from django.apps import apps

    migration = importlib.import_module("kir.register.migrations.0002_seed_phrases_and_policy")
    migration.seed(apps, None)
