"""Spreadsheet exports and the estate check on PostgreSQL with 20,000 issues.

Not part of the test suite. Creates the database `kir_bench_exports` (dropped at the end unless
--keep-db), fills it with benchmarks/register_data.py (20,000 issues, 10 affected products each),
then runs each measurement in a fresh child process so that each one's peak RSS is its own:

  - csv:    the register list's CSV export (the baseline), every visible issue, streamed and read
            to the end through the view;
  - xlsx:   the same list as XLSX (kir.exports.xlsx), streamed and read to the end;
  - estate: a 5,000-line estate file (CSV, with installation counts, some lines within a DMC)
            read, checked (kir.exports.estate) and answered as JSON, as the page's JSON answer.

Each is run --repeat times; the table gives the median seconds, the ratio to the CSV export's
median and the child's peak RSS. Targets: XLSX under 4x the CSV time and under 300 MB RSS; the
estate check within 2 s.

    .venv/bin/python benchmarks/exports.py [--issues 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
DATABASE = "kir_bench_exports"
ESTATE_LINES = 5000
TARGETS = {"xlsx_ratio": 4.0, "xlsx_rss_mb": 300.0, "estate_s": 2.0}


def _setup() -> None:
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kir.settings"
    import django

    django.setup()


def _user() -> Any:
    from kir.accounts.models import User

    return User.objects.get(username="bench-supplier")


def _drain(response: Any) -> int:
    return sum(len(chunk) for chunk in response.streaming_content)


def measure_export(kind: str) -> dict[str, Any]:
    from django.test import RequestFactory

    from kir.register.views.export import issue_export_csv, issue_export_xlsx

    view = issue_export_csv if kind == "csv" else issue_export_xlsx
    request = RequestFactory().get(f"/issues/export.{kind}")
    request.user = _user()
    started, cpu = time.perf_counter(), time.process_time()
    size = _drain(view(request))
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "bytes": size,
    }


def estate_csv(seed: int = 5) -> bytes:
    """5,000 distinct lines from the catalogue: one in five within one of its version's DMCs."""
    from kir.catalogue.models import DeviceVersion

    rng = random.Random(seed)
    versions = list(
        DeviceVersion.objects.values_list(
            "pk", "device_model__manufacturer__identifier", "device_model__model_id",
            "firmware_version",
        )
    )  # fmt: skip
    memberships: dict[int, list[str]] = {}
    through = DeviceVersion.dmcs.through.objects.values_list("deviceversion_id", "dmc__identifier")
    for version_id, identifier in through:
        memberships.setdefault(version_id, []).append(identifier)
    lines = ["manufacturer,model,firmware,dmc,installations"]
    for pk, manufacturer, model, firmware in rng.sample(versions, ESTATE_LINES):
        dmcs = memberships.get(pk, [])
        dmc = rng.choice(dmcs) if dmcs and rng.random() < 0.2 else ""
        lines.append(f"{manufacturer},{model},{firmware},{dmc},{rng.randint(1, 50_000)}")
    return ("\n".join(lines) + "\n").encode()


def measure_estate() -> dict[str, Any]:
    import io

    from django.core.serializers.json import DjangoJSONEncoder

    from kir.exports.estate import estate_check
    from kir.exports.estate_formats import check_json
    from kir.exports.estate_input import parse_estate_file

    content, user = estate_csv(), _user()
    started, cpu = time.perf_counter(), time.process_time()
    found = parse_estate_file(io.BytesIO(content), "estate.csv")
    assert not found.errors, found.errors[:3]
    check = estate_check(user=user, lines=found.lines)
    body = json.dumps(check_json(check), cls=DjangoJSONEncoder)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "bytes": len(body),
        "lines": check.lines,
        "issues_touching": len(check.issues),
    }


def child(kind: str) -> None:
    _setup()
    outcome = measure_estate() if kind == "estate" else measure_export(kind)
    outcome["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    outcome["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(outcome))


def run_child(kind: str, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(issues: int, database: str) -> str:
    from benchmarks.register_search import recreate_database

    url = recreate_database(database)
    os.environ["KIR_DATABASE_URL"] = url
    _setup()
    from django.core.management import call_command

    from benchmarks.register_data import generate_register

    call_command("migrate", verbosity=0)
    data = generate_register(issues=issues)
    print(f"{data.issues} issues, {data.products} products in {data.seconds:.1f} s", flush=True)
    return url


def report(results: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    medians = {
        kind: statistics.median(r["seconds"] for r in runs) for kind, runs in results.items()
    }
    rss = {kind: max(r["peak_rss_mb"] for r in runs) for kind, runs in results.items()}
    cpu = {
        kind: statistics.median(r["cpu_seconds"] for r in runs) for kind, runs in results.items()
    }
    rows = [
        "| measurement | median s | ratio to CSV | median CPU s (this process) | CPU ratio "
        "| peak RSS MB | output bytes |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, runs in results.items():
        ratio, cpu_ratio = medians[kind] / medians["csv"], cpu[kind] / cpu["csv"]
        rows.append(
            f"| {kind} | {medians[kind]:.2f} | {ratio:.2f} | {cpu[kind]:.2f} | {cpu_ratio:.2f} "
            f"| {rss[kind]} | {runs[-1]['bytes']} |"
        )
    loads = [r["load_average_1m"] for runs in results.values() for r in runs]
    rows.append(f"\nload average (1 min) during the runs: {min(loads)}-{max(loads)}")
    verdict = {
        "xlsx_ratio": round(medians["xlsx"] / medians["csv"], 2),
        "xlsx_rss_mb": rss["xlsx"],
        "estate_s": round(medians["estate"], 2),
    }
    verdict["met"] = (
        verdict["xlsx_ratio"] < TARGETS["xlsx_ratio"]
        and verdict["xlsx_rss_mb"] < TARGETS["xlsx_rss_mb"]
        and verdict["estate_s"] <= TARGETS["estate_s"]
    )
    return "\n".join(rows), verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true", help=f"do not drop {DATABASE}")
    parser.add_argument(
        "--database", default=DATABASE, help="the PostgreSQL database to fill (and drop)"
    )
    parser.add_argument("--child", choices=["csv", "xlsx", "estate"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    from benchmarks.register_search import drop_database, save_results

    try:
        url = prepare(args.issues, args.database)
        env = {**os.environ, "KIR_DATABASE_URL": url}
        results: dict[str, list[dict[str, Any]]] = {"csv": [], "xlsx": [], "estate": []}
        for _ in range(args.repeat):  # interleaved, so load on the machine hits each alike
            for kind in results:
                results[kind].append(run_child(kind, env))
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(args.database)
    table, verdict = report(results)
    print(table)
    print(json.dumps({"targets": TARGETS, **verdict}))
    save_results(
        {"results": results, "verdict": verdict, "targets": TARGETS}, "exports-results.json"
    )
    return 0 if verdict["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
