"""The production server under load: `kir serve` (gunicorn) on PostgreSQL, many clients at once.

Not part of the test suite. It creates the database `kir_load` (dropped at the end), fills it
with the search benchmark's register (benchmarks/register_data.py: 20,000 issues), starts
`kir serve` with N workers on 127.0.0.1, and runs C concurrent clients (threads, each with its
own session cookie and keep-alive connection) for a bounded time over a mix of what people do:

  - the web list, a web search, an issue page, the procurement check page (POST);
  - the API list with a personal token;
  - signing in (a real password check, with the production hasher);
  - GET /healthz, the baseline, in the same run.

It reports requests per second, p50/p95/p99 per kind of request, errors (any status other than
the expected one, or a failed connection) and the server's peak RSS (master and workers, summed
VmHWM), and writes var/bench/load-results.json. Target: p95 under 250 ms for every page at 50
clients on a 2-core machine, no errors.

    .venv/bin/python benchmarks/load.py [--clients 50] [--seconds 60] [--workers 2 --threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.register_search import (  # noqa: E402
    drop_database,
    free_port,
    prepare,
    procurement_bodies,
    recreate_database,
    save_results,
)

DATABASE = "kir_load"
PASSWORD = "load-benchmark-password-2026"
TARGET_P95_MS = 250.0
WARMUP_SECONDS = 5.0
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
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


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, elapsed_ms: float, ok: bool, detail: str) -> None:
        with self.lock:
            if ok:
                self.timings[kind].append(elapsed_ms)
            else:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {detail}")


class Client:
    """One user: a keep-alive connection, a session cookie and a CSRF token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content

    def form_post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        status, page = self.request("GET", path)
        token = _CSRF.search(page)
        if status != 200 or not token:
            return status, page
        fields = {"csrfmiddlewaretoken": token.group(1), **fields}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{self.port}{path}",
        }
        return self.request("POST", path, urllib.parse.urlencode(fields), headers)

    def sign_in(self, username: str) -> tuple[int, str]:
        self.cookies.clear()
        return self.form_post("/accounts/login/", {"username": username, "password": PASSWORD})


def one_request(client: Client, kind: str, rng: random.Random, data: Any) -> tuple[int, int]:
    """Send one request of `kind`; its status and the status that counts as success."""
    if kind == "web list":
        return client.request("GET", f"/issues/?page={rng.randint(1, 5)}")[0], 200
    if kind == "web search":
        query = urllib.parse.urlencode({"q": rng.choice(data.search_terms)})
        return client.request("GET", f"/issues/?{query}")[0], 200
    if kind == "issue page":
        return client.request("GET", f"/issues/{rng.choice(data.published_ids)}/")[0], 200
    if kind == "procurement page":
        lines = "\n".join(rng.choice(data.procurement_bodies)["items"])
        return client.form_post("/issues/procurement-check/", {"pasted": lines})[0], 200
    if kind == "api list":
        headers = {"Authorization": f"Bearer {client.token}"}
        query = urllib.parse.urlencode({"q": rng.choice(data.search_terms)})
        return client.request("GET", f"/api/issues?{query}", headers=headers)[0], 200
    if kind == "sign in":
        # A successful sign-in answers with a redirect to the home page.
        return client.sign_in(data.username)[0], 302
    return client.request("GET", "/healthz")[0], 200


def run_client(port: int, token: str, data: Any, seed: int, stop_at: float, timed_from: float,
               results: Results) -> None:  # fmt: skip
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    client = Client(port, token)
    client.sign_in(data.username)
    while time.monotonic() < stop_at:
        kind = rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            status, expected = one_request(client, kind, rng, data)
            ok, detail = status == expected, f"status {status}"
        except (OSError, http.client.HTTPException) as error:
            ok, detail = False, f"{type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        if time.monotonic() >= timed_from:
            results.add(kind, elapsed, ok, detail)


def server_peak_rss_mb(master: int) -> float:
    """VmHWM of the gunicorn master and its workers, summed."""
    pids = [master]
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        pids += [int(pid) for pid in children]
    except OSError:
        pass
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024, 1)


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within a minute")


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def summarise(results: Results, seconds: float) -> dict[str, dict[str, Any]]:
    rows = {}
    for kind in MIX:
        values = results.timings.get(kind, [])
        rows[kind] = {
            "requests": len(values),
            "errors": results.errors.get(kind, 0),
            "per_second": round(len(values) / seconds, 1),
            "p50_ms": round(percentile(values, 0.50), 1) if len(values) > 1 else None,
            "p95_ms": round(percentile(values, 0.95), 1) if len(values) > 1 else None,
            "p99_ms": round(percentile(values, 0.99), 1) if len(values) > 1 else None,
        }
    return rows


def report(rows: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    base = rows["healthz"]["p95_ms"] or 1.0
    lines = [
        "| request | count | errors | per s | p50 ms | p95 ms | p99 ms | p95 / healthz p95 "
        "| p95 under 250 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, row in rows.items():
        p95 = row["p95_ms"]
        met = "—" if kind == "healthz" or p95 is None else ("yes" if p95 < TARGET_P95_MS else "NO")
        ratio = f"{p95 / base:.1f}x" if p95 is not None else "—"
        lines.append(
            f"| {kind} | {row['requests']} | {row['errors']} | {row['per_second']} | "
            f"{row['p50_ms']} | {p95} | {row['p99_ms']} | {ratio} | {met} |"
        )
    lines.append("")
    lines.append(
        f"{meta['clients']} clients for {meta['seconds']} s (after {WARMUP_SECONDS} s warm-up) "
        f"against `kir serve` with {meta['workers']} workers x {meta['threads']} threads on "
        f"PostgreSQL, {meta['issues']} issues: {meta['requests_per_second']} requests/s in all, "
        f"{meta['errors']} errors. Server peak RSS {meta['server_peak_rss_mb']} MB (master and "
        f"workers, VmHWM summed). Load average at the end {meta['load_average_at_end']} on "
        f"{meta['cpus']} CPUs."
    )
    if meta["error_samples"]:
        lines.append("Errors seen: " + "; ".join(meta["error_samples"]))
    return "\n".join(lines)


def prepare_data(issues: int) -> tuple[Any, str]:
    data, token = prepare(issues, 10)
    from kir.accounts.services import user_reset_password
    from kir.register.models import Issue

    user = data.users["supplier"]
    user_reset_password(user=user, actor=None, new_password=PASSWORD)
    data.username = user.username
    data.published_ids = list(
        Issue.objects.filter(state="published").values_list("human_id", flat=True)[:500]
    )
    data.procurement_bodies = procurement_bodies(data, random.Random(11))
    return data, token


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = recreate_database(DATABASE)
    os.environ.update(KIR_DATABASE_URL=url, DJANGO_SETTINGS_MODULE="kir.settings")
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ["KIR_SETTINGS_FILE"] = ""
    data, token = prepare_data(args.issues)
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)
    port = free_port()
    env = {**os.environ, "KIR_DB_CONN_MAX_AGE": "600", "KIR_REQUEST_LOG_LEVEL": "WARNING"}
    command = [str(ROOT / ".venv" / "bin" / "kir"), "serve", "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--threads", str(args.threads)]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    results = Results()
    try:
        wait_until_up(port, server)
        now = time.monotonic()
        timed_from, stop_at = now + WARMUP_SECONDS, now + WARMUP_SECONDS + args.seconds
        threads = [
            threading.Thread(
                target=run_client, args=(port, token, data, n, stop_at, timed_from, results)
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        rss = server_peak_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    rows = summarise(results, args.seconds)
    total = sum(row["requests"] for row in rows.values())
    meta = {
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "threads": args.threads,
        "issues": data.issues,
        "requests_per_second": round(total / args.seconds, 1),
        "errors": sum(results.errors.values()),
        "error_samples": results.error_samples,
        "server_peak_rss_mb": rss,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "target_p95_ms": TARGET_P95_MS,
    }
    return {"meta": meta, "results": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    try:
        outcome = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
    print(report(outcome["results"], outcome["meta"]))
    save_results(outcome, "load-results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
