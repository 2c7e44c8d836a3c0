"""A DuckDB connection set up for out-of-core work within a memory budget."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb


@dataclass(frozen=True)
class EngineSettings:
    memory_limit: str = "2500MB"
    threads: int = 0  # 0: one per core
    temp_directory: Path | None = None


def connect(settings: EngineSettings, work_dir: Path) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": settings.memory_limit,
        # Spilling is what keeps a month of national data inside the memory limit.
        "temp_directory": str(settings.temp_directory or work_dir / "spill"),
        # Order of rows never matters to the aggregates; not keeping it saves memory and time.
        "preserve_insertion_order": False,
    }
    if settings.threads > 0:
        config["threads"] = settings.threads
    con = duckdb.connect(":memory:", config=config)
    # The command prints its own progress on a terminal; DuckDB's bar would garble it.
    con.execute("SET enable_progress_bar = false")
    return con


@contextmanager
def engine_session(
    settings: EngineSettings, *, prefix: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """A connection and a private work directory, both gone when the run ends, however it ends."""
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        con = connect(settings, Path(work))
        try:
            yield con, Path(work)
        finally:
            con.close()


def create_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, list[Any]]]
) -> None:
    """A temp table from Python lists: {column: (SQL type, values)}, all of one length.

    Lists travel as parameters and are unnested side by side. Registering an Arrow table would
    do too, but that makes DuckDB import pandas, which costs a third of a second per run.
    """
    selects = ", ".join(
        f"unnest(${i}::{sql_type}[]) AS {column}"
        for i, (column, (sql_type, _values)) in enumerate(columns.items(), start=1)
    )
    values = [list(v) for _type, v in columns.values()]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selects}", values)
