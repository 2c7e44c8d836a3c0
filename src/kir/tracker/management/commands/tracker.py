"""`kir tracker analyse | ingest | generate`: parse arguments, call the engine, print or write."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kir.tracker.engine.analyse import ENGINES, AnalyseRequest, analyse
from kir.tracker.engine.connection import EngineSettings
from kir.tracker.engine.disclosure import AUDIENCES
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.incremental import IngestRequest, ingest
from kir.tracker.engine.inputs import expand_paths
from kir.tracker.engine.report import FORMATS, render, write_atomically
from kir.tracker.engine.rules import load_rules


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inventory", type=Path, required=True, help="CSV or Parquet")
    parser.add_argument("--rules", type=Path, help="TOML rules (defaults: docs/tracker.md)")
    parser.add_argument("--max-rejects", type=int, help="fail when more rows are malformed")
    parser.add_argument("--rejects", type=Path, help="where malformed rows are written")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: one per core)")
    parser.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 2500MB")
    parser.add_argument("--temp-dir", type=Path, help="where DuckDB spills (default: a temp dir)")


class Command(BaseCommand):
    help = "Superfluous alerts tracker: analyse alert logs, ingest days, generate synthetic data."
    requires_system_checks: list[str] = []  # no models or database: kir.cli runs it without set-up

    def add_arguments(self, parser: Any) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        analyse_parser = commands.add_parser("analyse", help="findings for a window")
        _engine_options(analyse_parser)
        source = analyse_parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--alerts", nargs="+", help="CSV, CSV.gz, Parquet or DUIS XML; globs")
        source.add_argument("--state", type=Path, help="an ingest state directory")
        analyse_parser.add_argument("--from", dest="day_from", type=_day)
        analyse_parser.add_argument("--to", dest="day_to", type=_day)
        analyse_parser.add_argument("--audience", choices=AUDIENCES, default="dcc")
        analyse_parser.add_argument(
            "--supplier", help="drill down to this supplier's installations"
        )
        analyse_parser.add_argument("--format", choices=FORMATS, default="json")
        analyse_parser.add_argument(
            "--engine",
            choices=ENGINES,
            default="duckdb",
            help="spark: the alert pass on Spark, over Parquet at any URI (docs/tracker-spark.md)",
        )
        analyse_parser.add_argument(
            "--master", help="Spark master URL (default: spark-submit's, else local[2])"
        )
        analyse_parser.add_argument("--out", type=Path, help="write here (atomically)")
        analyse_parser.add_argument(
            "--save",
            action="store_true",
            help="store the run and its findings in the database (as a run from the web does)",
        )
        ingest_parser = commands.add_parser("ingest", help="keep per-day partial aggregates")
        _engine_options(ingest_parser)
        ingest_parser.add_argument("--alerts", nargs="+", required=True)
        ingest_parser.add_argument("--state", type=Path, required=True)
        daily = commands.add_parser("daily", help="ingest a landing folder's new day, queue a run")
        daily.add_argument("--landing", type=Path, required=True, help="where the files arrive")
        daily.add_argument("--state", type=Path, required=True, help="the kept daily state")
        daily.add_argument("--rules", type=Path, help="TOML rules (defaults: docs/tracker.md)")
        daily.add_argument("--window-days", type=int, default=28, help="days the run analyses")
        commands.add_parser("demo", help="store the demo's two weeks of daily runs (KIR_DEMO)")
        generate = commands.add_parser("generate", help="write a synthetic GB-shaped data set")
        generate.add_argument("--out", type=Path, required=True, help="output directory")
        generate.add_argument("--devices", type=int, default=100_000)
        generate.add_argument("--alerts", type=int, default=1_000_000)
        generate.add_argument("--days", type=int, default=7)
        generate.add_argument("--seed", type=int, default=2026)
        generate.add_argument(
            "--alerts-format", choices=("parquet", "csv", "duis"), default="parquet"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handlers = {
            "analyse": self.analyse,
            "ingest": self.ingest,
            "daily": self.daily,
            "demo": self.demo,
            "generate": self.generate,
        }
        try:
            handlers[options["subcommand"]](options)
        except TrackerError as exc:
            raise CommandError(str(exc)) from None

    def _progress(self) -> Any:
        """Phase lines with timings, only for a person watching a terminal."""
        if not sys.stderr.isatty():
            return lambda message: None
        start = time.monotonic()
        return lambda message: self.stderr.write(f"[{time.monotonic() - start:7.1f} s] {message}")

    def _settings(self, options: dict[str, Any]) -> EngineSettings:
        rules = load_rules(options["rules"])
        return EngineSettings(
            memory_limit=options["memory_limit"] or rules.memory_limit,
            threads=options["threads"] if options["threads"] is not None else rules.threads,
            temp_directory=options["temp_dir"],
        )

    def _rejects_path(self, options: dict[str, Any], out: Path | None) -> Path:
        if options["rejects"]:
            return Path(options["rejects"])
        if out is not None:
            return out.with_name(out.name + ".rejects.csv")
        return Path("kir-tracker-rejects.csv")

    def analyse(self, options: dict[str, Any]) -> None:
        if options["save"]:
            self.analyse_and_save(options)
            return
        out = options["out"]
        report = analyse(
            AnalyseRequest(
                inventory=options["inventory"],
                alerts=options["alerts"] or (),
                state_dir=options["state"],
                day_from=options["day_from"],
                day_to=options["day_to"],
                rules_path=options["rules"],
                audience=options["audience"],
                supplier=options["supplier"],
                max_rejects=options["max_rejects"],
                rejects_path=self._rejects_path(options, out),
                settings=self._settings(options),
                progress=self._progress(),
                engine=options["engine"],
                spark_master=options["master"],
            )
        )
        text = render(report, options["format"])
        if out is None:
            self.stdout.write(text, ending="")
            return
        write_atomically(out, text)
        self.stderr.write(f"{len(report['findings'])} findings written to {out}")

    def analyse_and_save(self, options: dict[str, Any]) -> None:
        """Queue and execute a run here, stored as the worker stores one (needs the database)."""
        from kir.tracker.execute import run_now
        from kir.tracker.models import RunSource, RunStatus
        from kir.tracker.services import RunInputs, tracker_run_queue

        if options["audience"] != "dcc" or options["supplier"] or options["out"]:
            raise CommandError(
                "--save stores every audience's view: no --audience, --supplier, --out"
            )
        run = tracker_run_queue(
            actor=None,
            inputs=RunInputs(
                source=RunSource.CLI,
                inventory=options["inventory"],
                alerts=expand_paths(options["alerts"]) if options["alerts"] else [],
                state_dir=options["state"],
                day_from=options["day_from"],
                day_to=options["day_to"],
                rules_path=options["rules"],
            ),
            queue_job=False,
        )
        run = run_now(run)
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"run {run.pk} failed: {run.error}")
        self.stdout.write(f"run {run.pk} stored: {run.findings_count} findings")

    def daily(self, options: dict[str, Any]) -> None:
        from kir.tracker.daily import run_daily

        outcome = run_daily(
            landing=options["landing"],
            state_dir=options["state"],
            rules_path=options["rules"],
            window_days=options["window_days"],
        )
        if outcome.refused:
            raise CommandError(outcome.message)
        self.stdout.write(outcome.message)

    def demo(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        from kir.tracker.demo import seed_tracker_demo
        from kir.tracker.demo_edition import seed_demo_edition

        if not settings.KIR_DEMO:
            raise CommandError("Refusing to seed the tracker demo: KIR_DEMO is not on.")
        self.stdout.write(f"Tracker demo: {seed_tracker_demo()}")
        self.stdout.write(f"Tracker demo: {seed_demo_edition()}")

    def ingest(self, options: dict[str, Any]) -> None:
        result = ingest(
            IngestRequest(
                inventory=options["inventory"],
                alerts=options["alerts"],
                state_dir=options["state"],
                rules_path=options["rules"],
                max_rejects=options["max_rejects"],
                rejects_path=self._rejects_path(options, None),
                settings=self._settings(options),
                progress=self._progress(),
            )
        )
        self.stdout.write(json.dumps(result, indent=2))

    def generate(self, options: dict[str, Any]) -> None:
        # Imported here: only `generate` needs the generator and its dependencies.
        from kir.tracker.engine.synthetic import write_synthetic_dataset

        manifest = write_synthetic_dataset(
            options["out"],
            devices=options["devices"],
            alerts=options["alerts"],
            days=options["days"],
            seed=options["seed"],
            alerts_format=options["alerts_format"],
        )
        counts = manifest.get("counts", {}) if isinstance(manifest, dict) else {}
        self.stdout.write(f"synthetic data written to {options['out']}: {json.dumps(counts)}")
