"""Tracker finding page latency on PostgreSQL, against a trivial page in the same run.

Not part of the test suite. It creates the database `kir_i12-editions_pages` (or
$KIR_BENCH_DATABASE; dropped at the end unless --keep-db), stores 365 daily runs whose latest
carries 1,000 findings and every earlier one the benchmark's finding again (same key), each
finding with a 90-day daily series, and one published edition a week (the latest with all 1,000
findings). It starts `kir runserver`
(single-threaded, persistent database connection) on 127.0.0.1 and times over HTTP, interleaved:

  - GET /healthz                       the trivial page (the baseline);
  - GET /tracker/findings/<id>/        as a supplier (parties view, its own drill-down) and as
                                       DCC (full view): two SVG charts, 52 editions of history;
  - GET /tracker/                      the home page (latest edition per region, ranked).

It prints p50/p95 and the p95 ratio to the baseline, the server's and driver's peak RSS, and
writes var/bench/tracker-pages-results.json. Target: finding page p95 under 100 ms.

    .venv/bin/python benchmarks/tracker_pages.py [--requests 200] [--runs 365] [--findings 1000]
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.register_search import (  # noqa: E402
    ADMIN_URL,
    free_port,
    peak_rss_from_proc,
    percentile,
    save_results,
    start_server,
)

DATABASE = os.environ.get("KIR_BENCH_DATABASE", "kir_i12-editions_pages")
TARGET_MS = 100.0
DAYS = 90


def recreate_database() -> str:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{DATABASE}"


def drop_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _series(end: date, seed: int) -> list[dict[str, Any]]:
    return [
        {
            "day": (end - timedelta(days=DAYS - 1 - i)).isoformat(),
            "alerts": 900 + (seed * 7 + i * 13) % 300,
            "superfluous_alerts": 400 + (seed * 11 + i * 17) % 250,
            "affected_installations": 20 + (seed + i) % 15,
            "baseline_rate_per_installation_day": 0.02 + ((seed + i) % 5) / 1000,
            "shows": True,
        }
        for i in range(DAYS)
    ]


def _finding(run: Any, position: int, components: list[dict[str, str]], seed: int) -> Any:
    from kir.tracker.models import TrackerFinding, finding_key

    series = _series(run.window_to, seed)
    figures = {
        "installations": 300 + seed % 200,
        "affected_installations": 40 + seed % 60,
        "alerts": 90_000,
        "superfluous_alerts": 40_000,
        "rate_per_installation_day": 1.5,
        "baseline_rate_per_installation_day": 0.02,
        "rate_ratio": 12.0 + seed % 7,
        "prevalence": 0.2,
        "persistence": 0.9,
        "excess_alerts_per_day": 500.0 - (seed % 400),
        "share_of_region_traffic": 0.01,
    }
    return TrackerFinding(
        run=run,
        position=position,
        key=finding_key("north" if seed % 3 else "south", "8F35", components),
        region="north" if seed % 3 else "south",
        alert_code="8F35",
        alert_description="Supply Outage Restored",
        certainty="established",
        attribution="component",
        components=components,
        dmcs=[f"DMC-{seed:012X}"],
        daily=series,
        devices=[{"device_id": f"00-DB-00-00-00-00-{seed % 256:02X}-01", "superfluous_alerts": 9}],
        parties_view={"suppressed": False, "daily": series, **figures},
        **figures,
    )


def generate(runs: int, findings: int) -> dict[str, Any]:
    """Runs, findings (one bulk write per run), components, editions; returns ids to request."""
    from kir.accounts.models import Organisation, PartyCategory, Role, User
    from kir.tracker.models import (
        EditionFinding,
        EditionStatus,
        FindingComponent,
        RunSource,
        RunStatus,
        TrackerEdition,
        TrackerFinding,
        TrackerRun,
    )

    started = time.monotonic()
    target = [{"device_type": "CHF", "manufacturer": "00B1", "model": "0000B001",
               "firmware_version": "00010300"}]  # fmt: skip
    last_day = date(2026, 11, 30)
    made_runs = TrackerRun.objects.bulk_create(
        TrackerRun(
            source=RunSource.DAILY,
            status=RunStatus.SUCCEEDED,
            inventory_path="inventory.parquet",
            rules_sha256="ab" * 32,
            engine_version="bench",
            window_from=last_day - timedelta(days=runs - i + DAYS - 1),
            window_to=last_day - timedelta(days=runs - 1 - i),
            window_days=DAYS,
        )
        for i in range(runs)
    )
    rows = [_finding(run, 0, target, 0) for run in made_runs[:-1]]
    latest = made_runs[-1]
    rows.append(_finding(latest, 0, target, 0))
    for n in range(1, findings):
        part = [{"device_type": "ESME", "manufacturer": "00A1", "model": f"{n:08X}",
                 "firmware_version": "00040200"}]  # fmt: skip
        rows.append(_finding(latest, n, part, n))
    stored = TrackerFinding.objects.bulk_create(rows, batch_size=500)
    FindingComponent.objects.bulk_create(
        (FindingComponent(finding=f, **f.components[0]) for f in stored), batch_size=1000
    )
    admin = User.objects.create(username="bench-secas", role=Role.ADMINISTRATOR)
    editions = []
    for number, run in enumerate(made_runs[6::7], start=1):
        editions.append(
            TrackerEdition(
                run=run,
                number=number,
                status=EditionStatus.PUBLISHED,
                grade="corroborated",
                proposed_by=admin,
                approved_by=admin,
                published_at=datetime.combine(run.window_to, datetime.min.time(), tzinfo=UTC),
            )
        )
    editions = TrackerEdition.objects.bulk_create(editions)
    by_run: dict[int, list[int]] = {}
    for f in stored:
        by_run.setdefault(f.run_id, []).append(f.pk)
    entries = [
        EditionFinding(edition=e, finding_id=pk) for e in editions for pk in by_run[e.run_id]
    ]
    if made_runs[-1] not in [e.run for e in editions]:
        last = TrackerEdition.objects.create(
            run=latest,
            number=len(editions) + 1,
            status=EditionStatus.PUBLISHED,
            grade="corroborated",
            published_at=datetime.now(UTC),
        )
        entries += [EditionFinding(edition=last, finding_id=pk) for pk in by_run[latest.pk]]
    EditionFinding.objects.bulk_create(entries, batch_size=2000)
    supplier_org = Organisation.objects.create(
        name="Bench Supplier", slug="bench-supplier", category=PartyCategory.LARGE_SUPPLIER
    )
    dcc_org = Organisation.objects.create(name="Bench DCC", slug="bench-dcc", category="dcc")
    users = {
        "supplier": User.objects.create(
            username="bench-supplier", organisation=supplier_org, role=Role.VIEWER
        ),
        "dcc": User.objects.create(username="bench-dcc", organisation=dcc_org, role=Role.VIEWER),
    }
    target_id = by_run[latest.pk][0]
    return {
        "target": target_id,
        "users": users,
        "seconds": round(time.monotonic() - started, 1),
        "findings": len(stored),
        "editions": TrackerEdition.objects.count(),
    }


def session_cookie(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def get(port: int, path: str, cookie: str) -> tuple[float, int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, response.status, body


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if get(port, "/healthz", "")[1] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within a minute")


def measure(port: int, data: dict[str, Any], requests: int, warmup: int) -> dict[str, list[float]]:
    cookies = {name: session_cookie(user) for name, user in data["users"].items()}
    finding = f"/tracker/findings/{data['target']}/"
    calls = {
        "trivial": ("/healthz", cookies["supplier"]),
        "finding_supplier": (finding, cookies["supplier"]),
        "finding_dcc": (finding, cookies["dcc"]),
        "home": ("/tracker/", cookies["supplier"]),
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for n in range(warmup + requests):
        for name, (path, cookie) in calls.items():
            elapsed, status, body = get(port, path, cookie)
            if status != 200 or (name.startswith("finding") and body.count(b"<svg") != 2):
                raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
            if n >= warmup:
                timings[name].append(elapsed)
    return timings


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = recreate_database()
    os.environ["KIR_DATABASE_URL"] = url
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kir.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Pages render with hashed static names, as in production (the manifest comes from here).
    call_command("collectstatic", interactive=False, verbosity=0)
    data = generate(args.runs, args.findings)
    # Production's autovacuum analyses freshly loaded tables within a minute; timing pages on
    # tables the planner has never seen measures its guesses instead (plans an order slower).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    port = free_port()
    env = {**os.environ, "KIR_DATABASE_URL": url, "KIR_DB_CONN_MAX_AGE": "600", "KIR_DEBUG": "0"}
    server = start_server(env, port)
    try:
        wait_until_up(port, server)
        timings = measure(port, data, args.requests, args.warmup)
        server_mb = peak_rss_from_proc(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    base = percentile(timings["trivial"], 0.95)
    results = {
        name: {
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.50), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "p95_ratio_to_trivial": round(percentile(values, 0.95) / base, 2),
        }
        for name, values in timings.items()
    }
    meta = {
        "database": "postgresql",
        "runs": args.runs,
        "findings": data["findings"],
        "editions": data["editions"],
        "series_days": DAYS,
        "generate_s": data["seconds"],
        "server_peak_rss_mb": server_mb,
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "target_p95_ms": TARGET_MS,
    }
    return {"meta": meta, "results": results}


def report(outcome: dict[str, Any]) -> str:
    lines = ["| page | requests | p50 ms | p95 ms | p95 / trivial p95 | target met |",
             "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for name, row in outcome["results"].items():
        met = "—" if not name.startswith("finding") else (
            "yes" if row["p95_ms"] < TARGET_MS else "NO")  # fmt: skip
        lines.append(
            f"| {name} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['p95_ratio_to_trivial']}x | {met} |"
        )
    meta = outcome["meta"]
    lines.append(
        f"\n{meta['runs']} runs, {meta['findings']} findings ({meta['series_days']}-day series), "
        f"{meta['editions']} editions on PostgreSQL; generated in {meta['generate_s']} s. "
        f"Peak RSS: server {meta['server_peak_rss_mb']} MB, "
        f"driver {meta['driver_peak_rss_mb']} MB. "
        f"Load average {meta['load_average_at_end']}."
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--findings", type=int, default=1000, help="findings of the latest run")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    try:
        outcome = run(args)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database()
    print(report(outcome))
    save_results(outcome, "tracker-pages-results.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
