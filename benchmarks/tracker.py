"""Benchmark: `kir tracker analyse` end to end against a plain DuckDB floor and a pandas version.

    .venv/bin/python benchmarks/tracker.py                    # 100M alerts, 10M devices, 7 days
    .venv/bin/python benchmarks/tracker.py --alerts 1000000 --devices 100000 --skip-pandas

Generates (or reuses, under var/bench/data/) a synthetic GB-shaped data set with
kir.tracker.engine.synthetic, then times, each in its own child process (wall time and that child's
own peak RSS from os.wait4):
  floor   one plain DuckDB query over the same Parquet: the installation DMC signature the engine
          derives (sorted distinct type/manufacturer/model/firmware per installation, hashed), LAG
          over (device, code) ordered by time to flag repeats within 300 s, grouped by region,
          code and DMC (alerts, superfluous alerts, affected installations), written to Parquet;
  engine  `kir tracker analyse --audience dcc --format json` on the same files;
  pandas  the same analysis written in pandas (repeat flag, group by region/code/DMC, rate ratio
          against the rest of the region with a 95% interval) on a --pandas-alerts data set, and
  engine  again on that data set.
With --daily, the daily operation DCC runs, on the main data set: every day but the last is
ingested into a state directory (not timed), then timed in the same run:
  ingest  `kir tracker ingest` of the last day's files (the carry from the day before included);
  state   `kir tracker analyse --state` of the whole window from the kept aggregates;
and daily_vs_one_shot is (ingest + state) over the engine's one-shot analysis of the same files.
Prints a Markdown table and writes var/bench/tracker-results.json. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
REPEAT_SECONDS = 300
TARGETS = {
    "engine_vs_floor": "<= 1.25",
    "engine_vs_floor_cpu": "<= 1.25",
    "peak_rss_gib": "< 4",
    "pandas_vs_engine": ">= 4",
    "pandas_vs_engine_cpu": ">= 4",
    "daily_vs_one_shot": "<= 0.1",
    "daily_vs_one_shot_cpu": "<= 0.1",
}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- the data ----------------------------------------------------------------------------------


def dataset(data_dir: Path, *, devices: int, alerts: int, days: int, seed: int) -> dict[str, Any]:
    """The cached data set for these parameters, generated (in a child) when missing."""
    sys.path.insert(0, str(ROOT / "src"))
    from kir.tracker.engine.synthetic import GENERATOR_VERSION

    name = f"d{devices}-a{alerts}-n{days}-s{seed}-v{GENERATOR_VERSION}"
    target = data_dir / name
    manifest_path = target / "planted.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        manifest["generated"] = None
        manifest["path"] = str(target)
        return manifest
    partial = data_dir / (name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    code = (
        "from pathlib import Path; from kir.tracker.engine.synthetic import "
        f"write_synthetic_dataset as w; w(Path({str(partial)!r}), devices={devices}, "
        f"alerts={alerts}, days={days}, seed={seed})"
    )
    print(f"generating {alerts:,} alerts over {devices:,} devices, {days} days -> {target}")
    generated = measure("generate", [sys.executable, "-c", code])
    if generated["returncode"] != 0:
        raise SystemExit(f"generating the data set failed: {generated}")
    partial.rename(target)
    manifest = json.loads(manifest_path.read_text())
    manifest["generated"] = generated
    manifest["path"] = str(target)
    return manifest


def files(manifest: dict[str, Any]) -> tuple[str, list[str]]:
    base = Path(manifest["path"])
    inventory = str(base / manifest["files"]["inventory"])
    return inventory, [str(base / name) for name in manifest["files"]["alerts"]]


# --- measuring ---------------------------------------------------------------------------------


def measure(
    label: str,
    command: list[str],
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run one child to completion (or kill it at `timeout` seconds); its wall time and its own
    peak RSS (with its children), from os.wait4."""
    logs = BENCH / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / (label.replace(" ", "-") + ".log")
    start = time.perf_counter()
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    killed: list[bool] = []

    def kill() -> None:
        killed.append(True)
        os.killpg(child.pid, signal.SIGKILL)  # its own session: the child and its children

    # A blocking wait (a timer thread does the killing), so the wall time ends when the child
    # does, not at the next poll.
    timer = threading.Timer(timeout, kill) if timeout is not None else None
    if timer is not None:
        timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if timer is not None:
        timer.cancel()
    timed_out = bool(killed)
    child.returncode = os.waitstatus_to_exitcode(status)
    result = {
        "label": label,
        "command": " ".join(command),
        "wall_seconds": round(wall, 2),
        "peak_rss_gib": round(usage.ru_maxrss * 1024 / 2**30, 3),  # ru_maxrss is KiB on Linux
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "returncode": child.returncode,
        "timed_out": timed_out,
        "log": str(log_path),
    }
    note = f" (killed after {timeout} s)" if timed_out else ""
    print(
        f"  {label}: {result['wall_seconds']} s, {result['peak_rss_gib']} GiB peak RSS{note}",
        flush=True,
    )
    return result


def engine_command(
    inventory: str, alerts: list[str], out: Path, args: argparse.Namespace
) -> list[str]:
    kir = str(Path(sys.executable).parent / "kir")
    command = [kir, "tracker", "analyse", "--inventory", inventory, "--alerts", *alerts]
    command += ["--audience", "dcc", "--format", "json", "--out", str(out)]
    options = _analyse_options()
    if args.threads and "--threads" in options:
        command += ["--threads", str(args.threads)]
    if args.memory_limit and "--memory-limit" in options:
        command += ["--memory-limit", args.memory_limit]
    return command


def _analyse_options() -> str:
    kir = str(Path(sys.executable).parent / "kir")
    help_text = subprocess.run(
        [kir, "tracker", "analyse", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    return help_text.stdout


def child_command(kind: str, inventory: str, alerts: list[str], out: Path, args: Any) -> list[str]:
    command = [sys.executable, __file__, f"--child-{kind}", "--inventory", inventory]
    command += ["--out", str(out), "--threads", str(args.threads or 0)]
    if args.floor_memory_limit:
        command += ["--memory-limit", args.floor_memory_limit]
    return [*command, "--files", *alerts]


# --- the floor and the pandas version (run as children) ------------------------------------------


def run_floor(
    inventory: str, alerts: list[str], out: str, threads: int, memory: str | None
) -> None:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    if memory:
        con.execute(f"SET memory_limit = '{memory}'")
    files = "[" + ", ".join(f"'{f}'" for f in alerts) + "]"
    con.execute(f"""
        COPY (
            WITH inv AS (SELECT * FROM read_parquet('{inventory}')),
            installation AS (
                SELECT installation_id, min(region) AS region,
                       'DMC-' || upper(sha256(array_to_string(list_sort(list_distinct(list(
                           device_type || '/' || manufacturer || '/' || model || '/'
                           || firmware_version))), '|'))[1:12]) AS dmc
                FROM inv GROUP BY installation_id),
            device AS (
                SELECT i.device_id, n.installation_id, n.region, n.dmc
                FROM inv i JOIN installation n USING (installation_id)),
            flagged AS (
                SELECT device_id, alert_code, coalesce(throttled_count, 1) AS n,
                       coalesce(epoch_us(raised_at) - lag(epoch_us(raised_at)) OVER (
                           PARTITION BY device_id, alert_code ORDER BY raised_at)
                           <= {REPEAT_SECONDS * 1_000_000}, false) AS repeat
                FROM read_parquet({files}))
            SELECT d.region, f.alert_code, d.dmc, sum(f.n) AS alerts,
                   sum(CASE WHEN f.repeat THEN f.n ELSE 0 END) AS superfluous,
                   count(DISTINCT CASE WHEN f.repeat THEN d.installation_id END) AS affected
            FROM flagged f JOIN device d USING (device_id)
            GROUP BY ALL
        ) TO '{out}' (FORMAT parquet)""")


def run_pandas(inventory: str, alerts: list[str], out: str) -> None:
    import numpy as np
    import pandas as pd

    inv = pd.read_parquet(inventory)
    for column in inv.columns:  # the generator stores low-cardinality text dictionary-encoded
        if isinstance(inv[column].dtype, pd.CategoricalDtype):
            inv[column] = inv[column].astype("string")
    inv["component"] = (
        inv["device_type"] + "/" + inv["manufacturer"] + "/" + inv["model"] + "/"
        + inv["firmware_version"]
    )  # fmt: skip
    signature = (
        inv.sort_values("component")
        .groupby("installation_id")["component"]
        .agg(lambda parts: "|".join(dict.fromkeys(parts)))
    )
    dmc = pd.util.hash_pandas_object(signature, index=False).rename("dmc")
    installations = inv.groupby("installation_id")["region"].first().to_frame().join(dmc)
    devices = inv[["device_id", "installation_id"]].join(installations, on="installation_id")
    frame = pd.concat(
        [pd.read_parquet(f, columns=["device_id", "alert_code", "raised_at", "throttled_count"])
         for f in alerts],
        ignore_index=True,
    )  # fmt: skip
    frame["n"] = frame["throttled_count"].fillna(1).astype("int64")
    frame = frame.sort_values(["device_id", "alert_code", "raised_at"], ignore_index=True)
    same = (frame["device_id"] == frame["device_id"].shift()) & (
        frame["alert_code"] == frame["alert_code"].shift()
    )
    gap = frame["raised_at"].diff().dt.total_seconds()
    frame["sup"] = np.where(same & (gap <= REPEAT_SECONDS), frame["n"], 0)
    frame = frame.merge(devices, on="device_id", how="inner")
    days = frame["raised_at"].dt.floor("D").nunique()
    cells = frame.groupby(["region", "alert_code", "dmc"]).agg(
        alerts=("n", "sum"), superfluous=("sup", "sum")
    )
    affected = (
        frame[frame["sup"] > 0]
        .groupby(["region", "alert_code", "dmc"])["installation_id"]
        .nunique()
    )
    cells["affected"] = affected.reindex(cells.index).fillna(0)
    population = installations.groupby(["region", "dmc"]).size().rename("installations")
    cells = cells.join(population, on=["region", "dmc"])
    region_sup = cells.groupby(["region", "alert_code"])["superfluous"].transform("sum")
    region_inst = installations.groupby("region").size()
    rest_inst = cells.index.get_level_values("region").map(region_inst) - cells["installations"]
    rate = cells["superfluous"] / (cells["installations"] * days)
    baseline = (region_sup - cells["superfluous"]) / (rest_inst * days)
    cells["rate_ratio"] = rate / baseline
    spread = 1.96 * np.sqrt(
        1 / (cells["superfluous"] + 0.5) + 1 / (region_sup - cells["superfluous"] + 0.5)
    )
    cells["ci_low"] = cells["rate_ratio"] * np.exp(-spread)
    cells["ci_high"] = cells["rate_ratio"] * np.exp(spread)
    cells.reset_index().to_parquet(out)


def child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child-floor", action="store_true")
    parser.add_argument("--child-pandas", action="store_true")
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--memory-limit")
    parser.add_argument("--files", nargs="+", required=True)
    args = parser.parse_args(argv)
    if args.child_floor:
        run_floor(args.inventory, args.files, args.out, args.threads, args.memory_limit)
    else:
        run_pandas(args.inventory, args.files, args.out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"child_peak_rss_kib": peak}))


# --- the run -----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000_000)
    parser.add_argument("--devices", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pandas-alerts", type=int, default=20_000_000)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--daily", action="store_true", help="also time ingest of the last day + analyse --state"
    )
    parser.add_argument("--threads", type=int, default=0, help="0: one per core")
    parser.add_argument(
        "--memory-limit", default=None, help="passed to kir tracker analyse (its default if unset)"
    )
    parser.add_argument(
        "--floor-memory-limit",
        default=None,
        help="DuckDB memory_limit for the floor (default: DuckDB's)",
    )
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    parser.add_argument(
        "--timeout", type=float, default=None, help="kill a measured step after this many seconds"
    )
    return parser.parse_args(argv)


def _code_version() -> str:
    """The commit the measured code came from, "+dirty" when the tracker had local changes."""

    def git(*argv: str) -> str:
        run = subprocess.run(["git", *argv], capture_output=True, text=True, cwd=ROOT)
        return run.stdout.strip()

    dirty = git("status", "--porcelain", "--", "src/kir/tracker")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def _step(
    kind: str, manifest: dict[str, Any], args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    inventory, alerts = files(manifest)
    version = _code_version()
    out_dir = BENCH / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == "engine":
        out = out_dir / f"engine-{tag}.json"
        command = engine_command(inventory, alerts, out, args)
        result = measure(
            f"engine {tag}", command, env={"KIR_INSECURE_TEST_KEY": "1"}, timeout=args.timeout
        )
        if result["returncode"] == 0 and out.exists():
            result["recovery"] = _recovery(manifest, json.loads(out.read_text()))
    else:
        out = out_dir / f"{kind}-{tag}.parquet"
        command = child_command(kind, inventory, alerts, out, args)
        result = measure(f"{kind} {tag}", command, timeout=args.timeout)
    rows = manifest["counts"]["alert_rows"]
    result["code_version"] = version
    result["alerts"] = rows
    result["alerts_per_second"] = (
        round(rows / result["wall_seconds"]) if result["wall_seconds"] else None
    )
    return result


def daily_steps(manifest: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """The daily operation on this data set: days but the last ingested first (untimed), then
    the last day's ingest and the window's analysis from the kept state, each timed."""
    inventory, alerts = files(manifest)
    by_day: dict[str, list[str]] = {}
    for name in alerts:
        found = DAY.search(Path(name).name)
        by_day.setdefault(found.group(0) if found else "", []).append(name)
    days = sorted(by_day)
    if len(days) < 2 or "" in by_day:
        raise SystemExit("--daily needs alert files named by day, at least two days")
    state = BENCH / "state" / Path(manifest["path"]).name
    shutil.rmtree(state, ignore_errors=True)
    kir = str(Path(sys.executable).parent / "kir")
    env = {"KIR_INSECURE_TEST_KEY": "1"}

    def ingest(label: str, names: list[str]) -> dict[str, Any]:
        command = [kir, "tracker", "ingest", "--inventory", inventory, "--alerts", *names]
        return measure(label, [*command, "--state", str(state)], env=env, timeout=args.timeout)

    earlier = [name for day in days[:-1] for name in by_day[day]]
    prepared = ingest("ingest earlier days (untimed)", earlier)
    if prepared["returncode"]:
        raise SystemExit(f"ingesting the earlier days failed: {prepared}")
    steps = [ingest("ingest last day", by_day[days[-1]])]
    out = BENCH / "out" / "engine-state.json"
    command = [kir, "tracker", "analyse", "--inventory", inventory, "--state", str(state)]
    command += ["--audience", "dcc", "--format", "json", "--out", str(out)]
    steps.append(measure("analyse from state", command, env=env, timeout=args.timeout))
    for step in steps:
        step["code_version"] = _code_version()
        step["alerts"] = manifest["counts"]["alert_rows"]
        step["alerts_per_second"] = None
    return steps


def _daily_ratio(daily: list[dict[str, Any]], engine: dict[str, Any], key: str) -> float | None:
    if engine["returncode"] or any(step["returncode"] for step in daily) or not engine[key]:
        return None
    return round(sum(step[key] for step in daily) / engine[key], 2)


def _recovery(manifest: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from kir.tracker.engine.synthetic_planted import check_recovery

    return check_recovery(manifest, report)


def _ratio(
    a: dict[str, Any] | None, b: dict[str, Any] | None, key: str = "wall_seconds"
) -> float | None:
    if not a or not b or a["returncode"] or b["returncode"] or not b[key]:
        return None
    return round(a[key] / b[key], 2)


def _shape(manifest: dict[str, Any]) -> dict[str, Any]:
    counts = manifest["counts"]
    return {
        "alerts": counts["alert_rows"],
        "alerts_counting_throttled": counts["alerts_counting_throttled"],
        "devices": counts["devices"],
        "installations": counts["installations"],
        "installations_by_region": counts["installations_by_region"],
        "dmcs": counts["dmcs"],
        "days": manifest["window"]["days"],
        "alert_files": len(manifest["files"]["alerts"]),
        "path": manifest["path"],
        "generated": manifest.get("generated"),
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| step | alerts | wall s | CPU s | peak RSS GiB | alerts/s (wall) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in results["steps"]:
        if step.get("timed_out"):
            lines.append(
                f"| {step['label']} (killed at {step['wall_seconds']} s) | {step['alerts']:,} | "
                f"> {step['wall_seconds']} | {step['cpu_seconds']} | {step['peak_rss_gib']} | - |"
            )
            continue
        if step["returncode"]:
            lines.append(
                f"| {step['label']} (FAILED, exit {step['returncode']}) | - | - | - | - | - |"
            )
            continue
        lines.append(
            f"| {step['label']} | {step['alerts']:,} | {step['wall_seconds']} | "
            f"{step['cpu_seconds']} | {step['peak_rss_gib']} | {step['alerts_per_second'] or 0:,} |"
        )
    lines.append("")
    for name, value in results["ratios"].items():
        lines.append(f"- {name}: {value} (target: {results['targets'].get(name, '-')})")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv and argv[0].startswith("--child-"):
        child_main(argv)
        return 0
    args = parse_args(argv)
    main_data = dataset(
        args.data_dir, devices=args.devices, alerts=args.alerts, days=args.days, seed=args.seed
    )
    steps = [_step("floor", main_data, args, "main"), _step("engine", main_data, args, "main")]
    floor, engine = steps
    shapes = {"main": _shape(main_data)}
    ratios: dict[str, Any] = {
        "engine_vs_floor": _ratio(engine, floor),
        # On a shared machine wall time depends on the neighbours; CPU time much less so.
        "engine_vs_floor_cpu": _ratio(engine, floor, "cpu_seconds"),
        "peak_rss_gib": engine["peak_rss_gib"],
    }
    if args.daily:
        daily = daily_steps(main_data, args)
        steps += daily
        ratios["daily_vs_one_shot"] = _daily_ratio(daily, engine, "wall_seconds")
        ratios["daily_vs_one_shot_cpu"] = _daily_ratio(daily, engine, "cpu_seconds")
    if not args.skip_pandas:
        devices = max(1000, round(args.devices * args.pandas_alerts / args.alerts))
        small = dataset(
            args.data_dir,
            devices=devices,
            alerts=args.pandas_alerts,
            days=args.days,
            seed=args.seed,
        )
        shapes["pandas"] = _shape(small)
        pandas_step = _step("pandas", small, args, "pandas")
        engine_small = _step("engine", small, args, "pandas")
        steps += [pandas_step, engine_small]
        ratios["pandas_vs_engine"] = _ratio(pandas_step, engine_small)
        ratios["pandas_vs_engine_cpu"] = _ratio(pandas_step, engine_small, "cpu_seconds")
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "datasets": shapes,
        "steps": steps,
        "ratios": ratios,
        "targets": TARGETS,
    }
    BENCH.mkdir(parents=True, exist_ok=True)
    (BENCH / "tracker-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(markdown(results))
    print(f"\nwritten to {BENCH / 'tracker-results.json'}")
    return 0 if all(step["returncode"] == 0 for step in steps) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
