"""The production server under load: `kir serve` (gunicorn) on PostgreSQL, many clients at once.

Not part of the test suite. It fills the database `kir_load` with the search benchmark's register
(benchmarks/register_data.py: 20,000 issues; `--reuse-db` keeps it for the next run, see
benchmarks/load_data.py), starts `kir serve` with N workers on 127.0.0.1, and runs C concurrent
closed-loop users (each with its own session cookie and keep-alive connection, no think time
unless `--think-ms`) for a bounded time over a mix of what people do:

  - the web list, a web search, an issue page, the procurement check page (GET, then POST);
  - the API list with a personal token;
  - signing in (a real password check, with the production hasher);
  - GET /healthz, the baseline, in the same run.

The users run in a child process (benchmarks/load_client.py: asyncio over raw sockets by
default, `--client threads` for the earlier http.client threads) that reports its own CPU time.
It reports requests per second, p50/p95/p99 per kind of request, errors (any status other than
the expected one, or a failed connection), the server's peak RSS (master and workers, summed
VmHWM), the CPU the server, its PostgreSQL backends and the client used over the timed window,
and writes var/bench/load-results.json. Target: p95 under 250 ms for every page at 50 clients
on a 2-core machine, no errors.

    .venv/bin/python benchmarks/load.py [--clients 50] [--seconds 60] [--workers 2 --threads 4]
        [--client async|threads] [--reuse-db]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.load_client import MIX, Results, run_async, run_threads  # noqa: E402
from benchmarks.load_data import DATABASE, PASSWORD, LoadData, load_data  # noqa: E402
from benchmarks.register_search import drop_database, free_port, save_results  # noqa: E402

TARGET_P95_MS = 250.0
WARMUP_SECONDS = 5.0


@dataclass
class Plan:
    """What every user needs: where the server is, the data, and the timed window, which opens
    `warmup` seconds after every user has signed in (50 password checks at once take tens of
    seconds of CPU: timed, they would measure the start, not the mix)."""

    port: int
    data: LoadData
    password: str
    warmup: float
    seconds: float
    think_seconds: float = 0.0
    mix: dict[str, int] = field(default_factory=lambda: dict(MIX))
    timed_from: float = float("inf")
    stop_at: float = float("inf")
    window_set: threading.Event = field(default_factory=threading.Event)

    def open_window(self) -> None:
        self.timed_from = time.monotonic() + self.warmup
        self.stop_at = self.timed_from + self.seconds
        self.window_set.set()


def _client_process(plan: Plan, kind: str, clients: int, pipe: Any) -> None:
    run = run_async if kind == "async" else run_threads

    def window_opens() -> None:
        plan.open_window()
        pipe.send(plan.timed_from)

    results = run(plan, list(range(clients)), window_opens)
    pipe.send((dict(results.timings), dict(results.errors), results.error_samples,
               results.client_cpu_seconds))  # fmt: skip
    pipe.close()


def run_clients(plan: Plan, kind: str, clients: int, at_window_start: Any) -> Results:
    """The users in a child process of their own, so their CPU is measured apart;
    `at_window_start` is called here when the timed window opens."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_client_process, args=(plan, kind, clients, sender))
    child.start()
    sender.close()  # so a child that dies is seen as the end of the pipe, not waited for
    try:
        timed_from = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"the clients' process failed (exit code {child.exitcode})") from None
    time.sleep(max(0.0, timed_from - time.monotonic()))
    at_window_start()
    try:
        timings, errors, samples, cpu = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"the clients' process failed (exit code {child.exitcode})") from None
    child.join()
    results = Results(error_samples=samples, client_cpu_seconds=cpu)
    results.timings.update(timings)
    results.errors.update(errors)
    return results


def process_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of live processes, from /proc/PID/stat (fields 14 and 15)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    return [master, *(int(pid) for pid in children)]


def postgres_backend_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the server's connections)."""
    import psycopg

    from benchmarks.register_search import ADMIN_URL

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (DATABASE,),
        ).fetchall()
    return [row[0] for row in rows]


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
    cpu = meta["cpu_seconds"]
    lines.append("")
    lines.append(
        f"{meta['clients']} {meta['client']} clients for {meta['seconds']} s (after "
        f"{WARMUP_SECONDS} s warm-up, think time {meta['think_ms']} ms, sign-in "
        f"{'in' if meta['sign_in_in_mix'] else 'left out of'} the mix) against `kir serve` with "
        f"{meta['workers']} workers x {meta['threads']} threads on PostgreSQL, {meta['issues']} "
        f"issues: {meta['requests_per_second']} requests/s in all, {meta['errors']} errors. "
        f"Server peak RSS {meta['server_peak_rss_mb']} MB (master and workers, VmHWM summed). "
        f"CPU over the window: server {cpu['server']} s, its PostgreSQL backends "
        f"{cpu['postgres']} s, client {cpu['client']} s ({meta['client_cpu_ms_per_request']} ms "
        f"per request); server + PostgreSQL {meta['server_cpu_ms_per_request']} ms per request. "
        f"Load average at the start {meta['load_average_at_start']}, at the end "
        f"{meta['load_average_at_end']} on {meta['cpus']} CPUs."
    )
    if meta["error_samples"]:
        lines.append("Errors seen: " + "; ".join(meta["error_samples"]))
    return "\n".join(lines)


def serve(port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    # Persistent connections, as docs/operations.md configures production.
    env = {**os.environ, "KIR_DB_CONN_MAX_AGE": "600", "KIR_REQUEST_LOG_LEVEL": "WARNING"}
    if args.server_src:
        # Another checkout's code on the same data and clients: a before/after comparison.
        env.update(PYTHONPATH=args.server_src, KIR_VAR_DIR=str(ROOT / "var"))
    command = [str(ROOT / ".venv" / "bin" / "kir"), "serve", "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--threads", str(args.threads)]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = load_data(args.issues, reuse=args.reuse_db)
    from django.db import connections

    connections.close_all()  # the client process is forked: it must not share a connection
    port = free_port()
    server = serve(port, args)
    start_load = _loadavg()
    marks: dict[str, float] = {}
    pids: dict[str, list[int]] = {}

    def window_opens() -> None:
        pids["server"], pids["postgres"] = server_pids(server.pid), postgres_backend_pids()
        marks.update(server=process_cpu_seconds(pids["server"]),
                     postgres=process_cpu_seconds(pids["postgres"]))  # fmt: skip

    try:
        wait_until_up(port, server)
        plan = Plan(port, data, PASSWORD, WARMUP_SECONDS, args.seconds, args.think_ms / 1000)
        if args.without_sign_in:
            # Sign-in (a deliberate ~350 ms password check) judged apart: the pages alone.
            plan.mix.pop("sign in")
        results = run_clients(plan, args.client, args.clients, window_opens)
        cpu = {
            "server": round(process_cpu_seconds(pids["server"]) - marks["server"], 1),
            "postgres": round(process_cpu_seconds(pids["postgres"]) - marks["postgres"], 1),
            "client": round(results.client_cpu_seconds, 1),
        }
        rss = server_peak_rss_mb(server.pid)
    finally:
        stop(server)
    rows = summarise(results, args.seconds)
    total = sum(row["requests"] for row in rows.values())
    meta = {
        "clients": args.clients,
        "client": args.client,
        "server_src": args.server_src or "this checkout",
        "think_ms": args.think_ms,
        "sign_in_in_mix": not args.without_sign_in,
        "seconds": args.seconds,
        "workers": args.workers,
        "threads": args.threads,
        "issues": data.issues,
        "requests_per_second": round(total / args.seconds, 1),
        "errors": sum(results.errors.values()),
        "error_samples": results.error_samples,
        "server_peak_rss_mb": rss,
        "cpu_seconds": cpu,
        "client_cpu_ms_per_request": round(cpu["client"] * 1000 / max(total, 1), 2),
        "server_cpu_ms_per_request": round(
            (cpu["server"] + cpu["postgres"]) * 1000 / max(total, 1), 1
        ),
        "load_average_at_start": start_load,
        "load_average_at_end": _loadavg(),
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
    parser.add_argument("--client", choices=("async", "threads"), default="async")
    parser.add_argument(
        "--think-ms", type=float, default=0.0, help="pause after each request (not for the target)"
    )
    parser.add_argument("--without-sign-in", action="store_true", help="the mix less sign-in")
    parser.add_argument("--server-src", help="serve the `src` folder of another checkout")
    parser.add_argument("--reuse-db", action="store_true", help=f"keep {DATABASE} for next time")
    args = parser.parse_args()
    try:
        outcome = run(args)
    finally:
        if not args.reuse_db:
            from django.db import connections

            connections.close_all()
            drop_database(DATABASE)
    print(report(outcome["results"], outcome["meta"]))
    save_results(outcome, "load-results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
