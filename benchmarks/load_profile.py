"""What one request of each kind in the load mix costs the server, measured in-process.

Not part of the test suite. One client, sequential, warm, through the whole middleware stack
(Django's test client runs the real handler; CSRF is enforced as in production). For each kind
of request in benchmarks/load.py's mix it reports the median wall time, the CPU time of this
Python process and of its PostgreSQL backend (read from /proc, since both share the machine's
cores with everything else), and the number of SQL queries. `--profile KIND` prints the top
functions of a cProfile of that kind.

    .venv/bin/python benchmarks/load_profile.py [--reuse-db] [--requests 40] [--profile "web list"]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.load_data import PASSWORD, LoadData, load_data  # noqa: E402

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KINDS = ("healthz", "web list", "web search", "issue page", "procurement page", "api list")


def backend_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Caller:
    def __init__(self, data: LoadData) -> None:
        from django.test import Client

        self.data = data
        self.rng = random.Random(5)
        self.client = Client(enforce_csrf_checks=True)

    def sign_in(self) -> int:
        self.client.cookies.clear()
        page = self.client.get("/accounts/login/")
        token = _CSRF.search(page.content.decode()).group(1)  # type: ignore[union-attr]
        fields = {"csrfmiddlewaretoken": token, "username": self.data.username,
                  "password": PASSWORD}  # fmt: skip
        return self.client.post("/accounts/login/", fields).status_code

    def call(self, kind: str) -> int:
        rng, data, client = self.rng, self.data, self.client
        if kind == "healthz":
            return client.get("/healthz").status_code
        if kind == "web list":
            return client.get(f"/issues/?page={rng.randint(1, 5)}").status_code
        if kind == "web search":
            return client.get("/issues/", {"q": rng.choice(data.search_terms)}).status_code
        if kind == "issue page":
            return client.get(f"/issues/{rng.choice(data.published_ids)}/").status_code
        if kind == "procurement page":
            page = client.get("/issues/procurement-check/")
            token = _CSRF.search(page.content.decode()).group(1)  # type: ignore[union-attr]
            lines = "\n".join(rng.choice(data.procurement_bodies)["items"])
            fields = {"csrfmiddlewaretoken": token, "pasted": lines}
            return client.post("/issues/procurement-check/", fields).status_code
        if kind == "api list":
            query = urllib.parse.urlencode({"q": rng.choice(data.search_terms)})
            auth = {"Authorization": f"Bearer {data.token}"}
            return client.get(f"/api/issues?{query}", headers=auth).status_code
        if kind == "sign in":
            return self.sign_in()
        raise ValueError(kind)


def measure(caller: Caller, kind: str, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for _ in range(3):
        caller.call(kind)
    walls, cpus, dbs, queries = [], [], [], []
    for _ in range(requests):
        cpu0, db0, wall0 = time.process_time(), backend_cpu_seconds(backend), time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            status = caller.call(kind)
        walls.append((time.perf_counter() - wall0) * 1000)
        cpus.append((time.process_time() - cpu0) * 1000)
        dbs.append((backend_cpu_seconds(backend) - db0) * 1000)
        queries.append(len(captured))
        if status not in (200, 302):
            raise RuntimeError(f"{kind} answered {status}")
    return {
        "wall_ms": round(statistics.median(walls), 1),
        "python_cpu_ms": round(statistics.mean(cpus), 1),
        "postgres_cpu_ms": round(statistics.mean(dbs), 1),
        "queries": round(statistics.mean(queries), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--profile", choices=(*KINDS, "sign in"))
    args = parser.parse_args()
    os.environ.setdefault("KIR_DB_CONN_MAX_AGE", "600")
    data = load_data(args.issues, reuse=args.reuse_db)
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")
    caller = Caller(data)
    caller.sign_in()
    if args.profile:
        for _ in range(3):
            caller.call(args.profile)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            caller.call(args.profile)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        return 0
    print("| request | wall p50 ms | Python CPU ms | PostgreSQL CPU ms | queries |")
    print("|---|---:|---:|---:|---:|")
    for kind in (*KINDS, "sign in"):
        row = measure(caller, kind, args.requests if kind != "sign in" else 5)
        print(f"| {kind} | {row['wall_ms']} | {row['python_cpu_ms']} | "
              f"{row['postgres_cpu_ms']} | {row['queries']} |")  # fmt: skip
    print(f"load average {[round(x, 2) for x in os.getloadavg()]} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
