"""Benchmark: the tracker's alert pass on Spark (local[2]) against DuckDB, in the same run.

    .venv/bin/python benchmarks/tracker_spark.py                        # 20M alerts, 2M devices
    .venv/bin/python benchmarks/tracker_spark.py --alerts 2000000 --devices 200000

Uses the synthetic data set of benchmarks/tracker.py (cached under var/bench/data/). Each engine
runs `analyse` in its own child process (wall time and the child's peak RSS with its children, the
JVM included, from os.wait4), recording where the time goes: starting Spark, reading the
inventory, the alert pass, the statistics over cells. The two reports must be equal (the
`engine` field aside); the run fails if they are not. On one machine Spark is expected to be
slower: the point is by how much, and which phase. Writes var/bench/tracker-spark-results.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tracker import BENCH, ROOT, dataset, files, measure  # the sibling benchmark's helpers

PHASES = (
    "reading the inventory",
    "flagging superfluous alerts",
    "spark: sending the inventory",
    "spark: the alert pass",
    "spark: rejects and unknown devices",
    "testing region x code x DMC cells",
)


def child(engine: str, inventory: str, alerts: list[str], out: Path, master: str) -> None:
    """Run one analysis here, writing the report and the phase timings to `out`."""
    sys.path.insert(0, str(ROOT / "src"))
    from kir.tracker.engine.analyse import AnalyseRequest, analyse

    timings: dict[str, float] = {}
    start = time.perf_counter()
    if engine == "spark":
        from kir.tracker.engine.spark_scan import spark_session

        spark_session(master)
        timings["starting Spark"] = round(time.perf_counter() - start, 2)
    opened: dict[str, float] = {}

    def progress(message: str) -> None:
        now = time.perf_counter()
        if message.endswith("..."):
            opened[message.removesuffix("...")] = now
        elif ": done in " in message:
            phase = message.rsplit(": done in ", 1)[0]
            timings[phase] = round(now - opened.pop(phase, now), 2)

    report = analyse(
        AnalyseRequest(
            inventory=Path(inventory),
            alerts=alerts,
            engine=engine,
            spark_master=master,
            progress=progress,
        )
    )
    timings["total in process"] = round(time.perf_counter() - start, 2)
    if engine == "spark":
        timings["JVM peak RSS GiB"] = _jvm_peak_rss_gib()
    out.write_text(json.dumps({"report": report, "timings": timings}, default=str))


def _jvm_peak_rss_gib() -> float | None:
    """The Spark JVM's own peak RSS: it is this process's child but outlives its wait4."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None) if gateway is not None else None
    if process is None:
        return None
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) * 1024 / 2**30, 3)
    return None


def run_engine(engine: str, manifest: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    inventory, alerts = files(manifest)
    out = BENCH / "out" / f"spark-bench-{engine}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--child", engine, "--inventory", inventory]
    command += ["--out", str(out), "--master", args.master, "--files", *alerts]
    result = measure(f"{engine} analyse", command, timeout=args.timeout)
    if result["returncode"] == 0:
        produced = json.loads(out.read_text())
        result["timings"] = produced["timings"]
        result["report"] = produced["report"]
    return result


def markdown(results: dict[str, Any]) -> str:
    duck, spark = results["duckdb"], results["spark"]
    lines = [
        f"Alerts: {results['alerts']:,}; devices: {results['devices']:,}; "
        f"master {results['master']}",
        "",
        "| phase | DuckDB (s) | Spark (s) |",
        "|---|---|---|",
    ]
    phases = ["starting Spark", *PHASES, "total in process", "JVM peak RSS GiB"]
    for phase in phases:
        lines.append(
            f"| {phase} | {duck.get('timings', {}).get(phase, '-')} "
            f"| {spark.get('timings', {}).get(phase, '-')} |"
        )
    lines.append(f"| wall (child) | {duck['wall_seconds']} | {spark['wall_seconds']} |")
    lines.append(f"| peak RSS GiB | {duck['peak_rss_gib']} | {spark['peak_rss_gib']} |")
    lines += [
        "",
        f"Spark / DuckDB wall: {results['spark_vs_duckdb']}x; reports equal: "
        f"{results['reports_equal']}",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000_000)
    parser.add_argument("--devices", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--child", choices=("duckdb", "spark"))
    parser.add_argument("--inventory")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--files", nargs="*")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.inventory, args.files, args.out, args.master)
        return 0
    manifest = dataset(
        BENCH / "data", devices=args.devices, alerts=args.alerts, days=args.days, seed=args.seed
    )
    duck = run_engine("duckdb", manifest, args)
    spark = run_engine("spark", manifest, args)
    if duck["returncode"] or spark["returncode"]:
        print("an engine failed: see the logs under var/bench/logs", file=sys.stderr)
        return 1
    duck_report, spark_report = duck.pop("report"), spark.pop("report")
    duck_report.pop("engine"), spark_report.pop("engine")
    results = {
        "alerts": manifest["counts"]["alert_rows"],
        "devices": args.devices,
        "master": args.master,
        "duckdb": duck,
        "spark": spark,
        "spark_vs_duckdb": round(spark["wall_seconds"] / duck["wall_seconds"], 2),
        "reports_equal": duck_report == spark_report,
    }
    (BENCH / "tracker-spark-results.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0 if results["reports_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
