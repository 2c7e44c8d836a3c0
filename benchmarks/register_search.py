"""Register search and procurement check latency through the JSON API, on PostgreSQL.

Not part of the test suite. It creates the database `kir_bench` (dropped again at the end unless
--keep-db), fills it with 20,000 issues and 200,000 affected-product rows (benchmarks/
register_data.py), starts a real HTTP server (`kir runserver`, a separate process, single-threaded,
persistent database connection as in production) on 127.0.0.1, and times over HTTP with a personal
API token, interleaved request by request:

  - GET  /api/me                  the trivial authenticated endpoint (the baseline);
  - GET  /api/issues              varied full-text queries and filters, sorts and pages;
  - GET  /api/issues?q=<typo>     ten searches with a misspelt word: they find nothing, so the
                                  answer carries a "did you mean" suggestion;
  - POST /api/procurement-check   1 to 10 models, model + firmware and DMCs per request; the API
                                  answers each item's total and its newest 20 matches (the
                                  default page, as the procurement page shows them);
  - and, in this process after the HTTP rounds, the did_you_mean selector alone.

It prints a Markdown table (p50, p95, p95 ratio to the baseline) and the peak RSS of the server
and of this driver, and writes var/bench/register-results.json. Targets: p95 of search and of the
procurement check within 100 ms and within 5x the trivial endpoint's p95.

    .venv/bin/python benchmarks/register_search.py [--issues 20000] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("KIR_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "kir_bench"
TARGET_MS = 100.0
TARGET_RATIO = 5.0


def recreate_database(name: str = DATABASE) -> str:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{name}"


def drop_database(name: str = DATABASE) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def prepare(issues: int, products: int) -> tuple[Any, str]:
    """Migrate, generate the register, and give the benchmark user a token."""
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.register_data import generate_register
    from kir.accounts.services import token_create

    call_command("migrate", verbosity=0)
    data = generate_register(issues=issues, products_per_issue=products)
    # A supplier: the visibility filter it gets (published states OR its own OR named) is the
    # costlier one; SECAS and DCC see everything without a filter. It reported a third of the
    # issues (benchmarks/register_data.py), so its own drafts are in its list, others' are not.
    _, secret = token_create(user=data.users["supplier"], name="bench", expires_in_days=1)
    return data, secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_from_proc(pid: int) -> float | None:
    """The server's own high-water mark (VmHWM), read from /proc while it still runs."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "kir"),
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
        "--nothreading",
        "--skip-checks",
    ]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )


class Http:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> tuple[float, int, bytes]:
        """Milliseconds from sending to the last byte of the answer, status, body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=180)
        payload = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        connection.request(method, path, body=payload, headers=self.headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        return elapsed, response.status, content


def wait_until_up(client: Http, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if client.request("GET", "/api/me")[1] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within a minute")


def search_queries(data: Any, rng: random.Random) -> list[str]:
    """Realistic list requests: words people type, filters they pick, later pages, sorts."""
    words = ["flapping", "firmware upgrade", "supply outage", "comms hub", "prepayment credit",
             "clock adjusted", "tamper", "HAN connection", "display blank", "load limit",
             "daylight saving", "mesh coverage", "KIR-2025-00042"]  # fmt: skip
    manufacturers = sorted({m for m, _, _ in data.model_items})
    queries: list[dict[str, Any]] = [{}, {"page": 3}, {"sort": "-impact"}, {"state": "published"}]
    queries += [{"q": word} for word in words]
    queries += [{"q": rng.choice(words), "region": rng.choice(["north", "central", "south"])}
                for _ in range(6)]  # fmt: skip
    queries += [{"manufacturer": m, "state": "published"} for m in manufacturers[:5]]
    queries += [
        {"manufacturer": m, "model": mo, "firmware": f} for m, mo, f in data.model_items[:6]
    ]
    queries += [{"dmc": d} for d in data.dmc_identifiers[:5]]
    queries += [
        {"category": "superfluous_alerts", "impact_level": "severe", "sort": "-evidence"},
        {"evidence_level": "established", "root_cause_status": "unknown", "page": 2},
        {"q": "alerts", "date_from": "2020-01-01", "sort": "-created"},
        {"q": "firmware", "category": "firmware_upgrade", "page_size": 100},
    ]
    return ["/api/issues?" + urllib.parse.urlencode(q) for q in queries]


def typo_queries() -> list[str]:
    """Searches with a misspelt word: they find nothing, so the API also looks for a "did you
    mean" suggestion (kir.search.suggest); before suggestions existed, the same empty search."""
    typos = ["flaping", "firmwre upgrade", "suply outage", "prepayment credti", "tampr",
             "dispaly blank", "clok adjusted", "mesh coverge", "batery",
             "daylight savng"]  # fmt: skip
    return ["/api/issues?" + urllib.parse.urlencode({"q": typo}) for typo in typos]


def time_suggestions(data: Any, requests: int, warmup: int) -> dict[str, list[float]]:
    """The "did you mean" selector alone, in this process (no HTTP), for the benchmark supplier:
    the cost a misspelt search adds to the search that found nothing."""
    from kir.register.selectors import did_you_mean

    words = [urllib.parse.parse_qs(path.split("?", 1)[1])["q"][0] for path in typo_queries()]
    timings: list[float] = []
    for n in range(warmup + requests):
        started = time.perf_counter()
        suggestion = did_you_mean(user=data.users["supplier"], query=words[n % len(words)])
        elapsed = (time.perf_counter() - started) * 1000
        if suggestion is None:
            raise RuntimeError(f"no suggestion for {words[n % len(words)]!r}")
        if n >= warmup:
            timings.append(elapsed)
    return {"suggest": timings, "suggest_bytes": [0.0] * len(timings)}


def procurement_bodies(data: Any, rng: random.Random, count: int = 40) -> list[dict[str, Any]]:
    """What a Party checks before buying: a few models at given firmware, sometimes a whole
    model (any firmware) or a DMC; 1 to 10 lines per check."""
    exact = [f"{m} {mo} fw {f}" for m, mo, f in data.model_items]
    broad = [f"{m} {mo}" for m, mo, _ in data.model_items] + list(data.dmc_identifiers)
    bodies = []
    for _ in range(count):
        size = rng.randint(1, 10)
        broad_lines = rng.sample(broad, rng.randint(0, min(2, size)))
        bodies.append({"items": rng.sample(exact, size - len(broad_lines)) + broad_lines})
    return bodies


def measure(client: Http, data: Any, requests: int, warmup: int) -> dict[str, list[float]]:
    rng = random.Random(7)
    searches, bodies = search_queries(data, rng), procurement_bodies(data, rng)
    typos = typo_queries()
    timings: dict[str, list[float]] = {"me": [], "search": [], "typo": [], "procurement": []}
    sizes: dict[str, list[int]] = {name: [] for name in timings}
    for n in range(warmup + requests):
        # Interleaved, so drift (caches, autovacuum) touches every endpoint alike.
        calls = {
            "me": ("GET", "/api/me", None),
            "search": ("GET", searches[n % len(searches)], None),
            "typo": ("GET", typos[n % len(typos)], None),
            "procurement": ("POST", "/api/procurement-check", bodies[n % len(bodies)]),
        }
        for name, (method, path, body) in calls.items():
            elapsed, status, content = client.request(method, path, body)
            if status != 200:
                raise RuntimeError(f"{method} {path} answered {status}: {content[:300]!r}")
            if n >= warmup:
                timings[name].append(elapsed)
                sizes[name].append(len(content))
    for name, values in sizes.items():
        timings[f"{name}_bytes"] = [float(v) for v in values]
    return timings


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def summarise(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    rows = {}
    base_p95 = percentile(timings["me"], 0.95)
    for name, values in timings.items():
        if name.endswith("_bytes"):
            continue
        p50, p95 = percentile(values, 0.50), percentile(values, 0.95)
        rows[name] = {
            "requests": len(values),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(max(values), 2),
            "p95_ratio_to_me": round(p95 / base_p95, 2),
            "mean_response_kb": round(statistics.mean(timings[f"{name}_bytes"]) / 1024, 1),
        }
    return rows


def report(rows: dict[str, dict[str, float]], meta: dict[str, Any]) -> str:
    labels = {
        "me": "GET /api/me (baseline)",
        "search": "GET /api/issues (search + filters)",
        "typo": "GET /api/issues (misspelt word)",
        "suggest": "did_you_mean selector alone (in process)",
        "procurement": "POST /api/procurement-check",
    }
    lines = [
        "| endpoint | requests | p50 ms | p95 ms | max ms | p95 / baseline p95 | mean KB "
        "| target met |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in rows.items():
        met = "—" if name == "me" else (
            "yes" if row["p95_ms"] <= TARGET_MS and row["p95_ratio_to_me"] <= TARGET_RATIO
            else "NO"
        )  # fmt: skip
        lines.append(
            f"| {labels[name]} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['max_ms']} | {row['p95_ratio_to_me']}x | {row['mean_response_kb']} | {met} |"
        )
    lines.append("")
    lines.append(
        f"{meta['issues']} issues, {meta['affected_products']} affected products, "
        f"{meta['statements']} statements on PostgreSQL; generated in {meta['generate_s']} s. "
        f"Peak RSS: server {meta['server_peak_rss_mb']} MB (VmHWM), "
        f"driver {meta['driver_peak_rss_mb']} MB. "
        f"Load average at the end {meta['load_average_at_end']} on {meta['cpus']} CPUs."
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = recreate_database(args.database)
    os.environ["KIR_DATABASE_URL"] = url
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kir.settings"
    data, token = prepare(args.issues, args.products)
    port = free_port()
    env = {**os.environ, "KIR_DATABASE_URL": url, "KIR_DB_CONN_MAX_AGE": "600", "KIR_DEBUG": "0"}
    server = start_server(env, port)
    try:
        client = Http(port, token)
        wait_until_up(client, server)
        timings = measure(client, data, args.requests, args.warmup)
        timings.update(time_suggestions(data, args.requests, args.warmup))
        server_hwm_mb = peak_rss_from_proc(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    kib = 1024  # ru_maxrss is in KiB on Linux
    meta = {
        "database": "postgresql",
        "server": "kir runserver (single-threaded, persistent DB connection), HTTP on 127.0.0.1",
        "issues": data.issues,
        "affected_products": data.products,
        "statements": data.statements,
        "generate_s": round(data.seconds, 1),
        # The server's own high-water mark. getrusage(RUSAGE_CHILDREN) is kept for reference but
        # overstates it: it counts the child as forked from this driver, before it exec()s.
        "server_peak_rss_mb": server_hwm_mb,
        "children_ru_maxrss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib
        ),
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib),
        "search_queries": len(search_queries(data, random.Random(7))),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "targets": {"p95_ms": TARGET_MS, "p95_ratio_to_me": TARGET_RATIO},
    }
    return {"meta": meta, "results": summarise(timings)}


def save_results(outcome: dict[str, Any], name: str) -> None:
    out = ROOT / "var" / "bench" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=10, help="affected products per issue")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true", help=f"do not drop {DATABASE}")
    parser.add_argument(
        "--database",
        default=DATABASE,
        help="database to create (one per engineer sharing a server)",
    )
    args = parser.parse_args()
    try:
        outcome = run(args)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(args.database)
    print(report(outcome["results"], outcome["meta"]))
    save_results(outcome, "register-results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
