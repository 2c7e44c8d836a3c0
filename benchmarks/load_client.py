"""The load benchmark's clients: closed-loop users, each with its own session and keep-alive
connection, sending benchmarks/load.py's mix with no think time.

Two implementations of the same user, so the client's own cost can be compared in one run:

- `async` (the default): every user is a coroutine on one asyncio loop, speaking HTTP/1.1 over a
  raw stream. Parsing a status line and a few headers costs far less CPU than http.client;
- `threads`: the earlier client, a thread per user with http.client.

Either runs in a child process (benchmarks/load.py starts it) that reports its own CPU time over
the timed window, since the clients share the machine's cores with the server.
"""

from __future__ import annotations

import asyncio
import http.client
import random
import re
import resource
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# Relative weights of the mix: reading dominates, signing in is rare.
MIX = {
    "web list": 20,
    "web search": 20,
    "issue page": 20,
    "procurement page": 10,
    "api list": 20,
    "sign in": 2,
    "healthz": 8,
}
# Before the timed window every user signs in, a few at a time: 50 password checks at once
# would outlast the request timeout on two cores.
SIGN_IN_CONCURRENCY = 4
SIGN_IN_ATTEMPTS = 5
# A successful sign-in answers with a redirect to the home page; everything else with 200.
EXPECTED = {kind: 302 if kind == "sign in" else 200 for kind in MIX}


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    client_cpu_seconds: float = 0.0

    def add(self, kind: str, elapsed_ms: float, ok: bool, detail: str) -> None:
        if ok:
            self.timings[kind].append(elapsed_ms)
        else:
            self.errors[kind] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {detail}")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def next_request(kind: str, rng: random.Random, data: Any, token: str) -> Request:
    """The first request of one `kind` in the mix (a form's POST follows its GET)."""
    if kind == "web list":
        return Request("GET", f"/issues/?page={rng.randint(1, 5)}")
    if kind == "web search":
        return Request(
            "GET", "/issues/?" + urllib.parse.urlencode({"q": rng.choice(data.search_terms)})
        )
    if kind == "issue page":
        return Request("GET", f"/issues/{rng.choice(data.published_ids)}/")
    if kind == "procurement page":
        return Request("GET", "/issues/procurement-check/")
    if kind == "api list":
        query = urllib.parse.urlencode({"q": rng.choice(data.search_terms)})
        return Request(
            "GET", f"/api/issues?{query}", headers=(("Authorization", f"Bearer {token}"),)
        )
    if kind == "sign in":
        return Request("GET", "/accounts/login/")
    return Request("GET", "/healthz")


def form_fields(kind: str, rng: random.Random, data: Any, password: str) -> dict[str, str]:
    if kind == "procurement page":
        return {"pasted": "\n".join(rng.choice(data.procurement_bodies)["items"])}
    return {"username": data.username, "password": password}


def form_post(path: str, port: int, page: bytes, fields: dict[str, str]) -> Request | None:
    """The POST of a form page, with its CSRF token; None when the page has no form."""
    token = _CSRF.search(page)
    if not token:
        return None
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1).decode(), **fields})
    headers = (("Content-Type", "application/x-www-form-urlencoded"),
               ("Referer", f"http://127.0.0.1:{port}{path}"))  # fmt: skip
    return Request("POST", path, body.encode(), headers)


class AsyncUser:
    """One user on a raw keep-alive connection; cookies kept by name, as a browser would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.last_location = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self.reader, self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, request: Request) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._exchange(request), timeout=60)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise

    async def _exchange(self, request: Request) -> tuple[int, bytes]:
        reader, writer = await self._connect()
        lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if request.body or request.method == "POST":
            lines.append(f"Content-Length: {len(request.body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + request.body)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length, chunked, closing = 0, False, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                closing = True
            elif name == "location":
                self.last_location = value
            elif name == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        body = await (_read_chunked(reader) if chunked else reader.readexactly(length))
        if closing:
            self.close()
        return status, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return b"".join(parts)


async def _one_async(user: AsyncUser, kind: str, rng: random.Random, plan: Any) -> int:
    request = next_request(kind, rng, plan.data, plan.data.token)
    if kind == "sign in":
        user.cookies.clear()
    status, page = await user.send(request)
    if kind in ("procurement page", "sign in") and status == 200:
        post = form_post(
            request.path, plan.port, page, form_fields(kind, rng, plan.data, plan.password)
        )
        if post is not None:
            status, _ = await user.send(post)
    return status


async def _run_async_user(user: AsyncUser, seed: int, plan: Any, results: Results) -> None:
    rng = random.Random(seed)
    kinds, weights = list(plan.mix), list(plan.mix.values())
    while time.monotonic() < plan.stop_at:
        kind = rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            status = await _one_async(user, kind, rng, plan)
            ok, detail = status == EXPECTED[kind], f"status {status}"
            if not ok and 300 <= status < 400:
                detail += f" to {user.last_location.split('?')[0]}"
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            ok, detail = False, f"{type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        if time.monotonic() >= plan.timed_from:
            results.add(kind, elapsed, ok, detail)
        if plan.think_seconds:
            await asyncio.sleep(plan.think_seconds)
    user.close()


def run_async(plan: Any, seeds: list[int], window_opens: Any) -> Results:
    results = Results()

    async def everyone() -> None:
        users = [AsyncUser(plan.port) for _ in seeds]
        rng, few_at_once = random.Random(0), asyncio.Semaphore(SIGN_IN_CONCURRENCY)

        async def sign_in(user: AsyncUser) -> None:
            async with few_at_once:
                for _ in range(SIGN_IN_ATTEMPTS):
                    try:
                        if await _one_async(user, "sign in", rng, plan) == 302:
                            return
                    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                        continue
                raise RuntimeError("a user could not sign in before the run")

        await asyncio.gather(*(sign_in(user) for user in users))
        window_opens()
        await asyncio.gather(
            *(
                _run_async_user(user, seed, plan, results)
                for user, seed in zip(users, seeds, strict=True)
            )
        )

    results.client_cpu_seconds = _cpu_during(plan, lambda: asyncio.run(everyone()))
    return results


class ThreadUser:
    """The earlier client: http.client on a keep-alive connection, in a thread of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, request: Request) -> tuple[int, bytes]:
        headers = dict(request.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(request.method, request.path, body=request.body or None,
                                    headers=headers)  # fmt: skip
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content


def _one_threaded(user: ThreadUser, kind: str, rng: random.Random, plan: Any) -> int:
    request = next_request(kind, rng, plan.data, plan.data.token)
    if kind == "sign in":
        user.cookies.clear()
    status, page = user.send(request)
    if kind in ("procurement page", "sign in") and status == 200:
        post = form_post(
            request.path, plan.port, page, form_fields(kind, rng, plan.data, plan.password)
        )
        if post is not None:
            status, _ = user.send(post)
    return status


def _sign_in_threaded(user: ThreadUser, rng: random.Random, plan: Any) -> None:
    with _SIGN_IN_SLOTS:
        for _ in range(SIGN_IN_ATTEMPTS):
            try:
                if _one_threaded(user, "sign in", rng, plan) == 302:
                    return
            except (OSError, http.client.HTTPException):
                continue
    raise RuntimeError("a user could not sign in before the run")


_SIGN_IN_SLOTS = threading.Semaphore(SIGN_IN_CONCURRENCY)


def _run_thread_user(
    seed: int, plan: Any, results: Results, lock: threading.Lock, signed_in: threading.Barrier
) -> None:
    rng = random.Random(seed)
    kinds, weights = list(plan.mix), list(plan.mix.values())
    user = ThreadUser(plan.port)
    try:
        _sign_in_threaded(user, rng, plan)
    finally:
        # Everyone waits here, even a user that failed, so the run cannot hang on it.
        signed_in.wait()
    while time.monotonic() < plan.stop_at:
        kind = rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            status = _one_threaded(user, kind, rng, plan)
            ok, detail = status == EXPECTED[kind], f"status {status}"
        except (OSError, http.client.HTTPException) as error:
            ok, detail = False, f"{type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        if time.monotonic() >= plan.timed_from:
            with lock:
                results.add(kind, elapsed, ok, detail)
        if plan.think_seconds:
            time.sleep(plan.think_seconds)


def run_threads(plan: Any, seeds: list[int], window_opens: Any) -> Results:
    results, lock = Results(), threading.Lock()
    # The last user to sign in opens the window, before any user starts the mix.
    signed_in = threading.Barrier(len(seeds), action=window_opens)

    def everyone() -> None:
        args = (plan, results, lock, signed_in)
        threads = [threading.Thread(target=_run_thread_user, args=(seed, *args)) for seed in seeds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    results.client_cpu_seconds = _cpu_during(plan, everyone)
    return results


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_during(plan: Any, work: Any) -> float:
    """This process's CPU time over the timed window (from `timed_from` to the end of `work`),
    read by a timer thread at the window's start, so sign-in and warm-up are left out."""
    at_start: list[float] = []

    def wait_and_read() -> None:
        plan.window_set.wait()
        time.sleep(max(0.0, plan.timed_from - time.monotonic()))
        at_start.append(_cpu_seconds())

    reader = threading.Thread(target=wait_and_read, daemon=True)
    reader.start()
    work()
    reader.join(timeout=1)
    return _cpu_seconds() - (at_start[0] if at_start else 0.0)
