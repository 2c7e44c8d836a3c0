"""Harness for browser tests: a real Chromium (Debian's, through Playwright) against pytest-django's
live server, and an outbox worker beside it (the SMTP server is tests/mailserver.py's).

Playwright's sync API runs an event loop in this thread, which Django's async-safety guard would
take for async code calling the ORM; the tests' own ORM use is synchronous, so the guard is lifted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# Every Playwright wait gives up after this long: a broken page fails the test, never hangs it.
STEP_TIMEOUT_MS = 15_000
# Starting Chromium on a busy 2-core machine has taken over 15 s; a page step never should.
LAUNCH_TIMEOUT_MS = 60_000


@pytest.fixture
def outbox_worker(live_server) -> Iterator[None]:
    """A worker beside the live server, as `make demo` runs one: a thread of the test process,
    so it sees the test database; it stops when the test ends."""
    import threading

    from django.db import connections

    from kir.outbox.worker import work

    stop = threading.Event()

    def run() -> None:
        try:
            work(worker="browser-test", stop=stop, batch=10, lease_seconds=60, poll_seconds=0.1)
        finally:
            connections.close_all()  # this thread's own connection, or the teardown waits on it

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=15)


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
