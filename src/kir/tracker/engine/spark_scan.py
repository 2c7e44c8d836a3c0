"""The alert pass on Spark: the part of an analysis that grows with the alerts, scaled out.

Everything before and after it stays on the driver, in DuckDB: the inventory (read once, tens of
millions of rows at most), and the statistics over cells (one row per day, region, DMC and code).
The pass itself is the DuckDB statement of sql_alerts.py, transpiled (spark_sql.py), over the
alert Parquet files at any URI Spark can read (file:, hdfs:, s3a:, abfss:, gs: ...). What it
returns is the small `scan_groups` table the DuckDB pass makes, so the rest of the engine cannot
tell which engine made it.

Device keys: the pass joins alerts to devices on a 64-bit hash of the canonical device id, as on
DuckDB, but Spark's hash is not DuckDB's; the driver's inventory travels to Spark with its own
keys, and each group that names a device is given the driver's key back before it returns.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import duckdb

from kir.tracker.engine import sql_alerts
from kir.tracker.engine.alert_rejects import reason_sql
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.inputs import ALERT_COLUMNS, checked_alert_kinds
from kir.tracker.engine.progress import Progress, silent, timed
from kir.tracker.engine.rejects import Reject, RejectKind, Rejects
from kir.tracker.engine.rules import Rules
from kir.tracker.engine.scan import (
    UNKNOWN_SAMPLE,
    ScanSummary,
    scan_range_sql,
    split_scan_groups,
    summarise_scan,
)
from kir.tracker.engine.spark_sql import to_spark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[2]"
# Times are read and written in UTC whatever the JVM's zone, as on DuckDB (utc_midnight).
SESSION_CONFIG = {"spark.sql.session.timeZone": "UTC"}
# On one machine Spark's cluster defaults cost more than the work (200 shuffle partitions, a UI),
# and its 1 GiB heap, which in local mode holds the executors too, is too small for 20M alerts.
LOCAL_CONFIG = {
    "spark.sql.shuffle.partitions": "16",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "4g",
}

_sessions: dict[str, SparkSession] = {}
_lock = threading.Lock()


def spark_session(master: str | None) -> SparkSession:
    """One session per master for the life of the process: starting the JVM costs seconds.

    Without a master, a run started by spark-submit (which hands its gateway to this process)
    keeps spark-submit's master; any other run is local.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise TrackerError(
            "--engine spark needs PySpark (pip install 'kir[spark]') and a Java 17 runtime"
        ) from None
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    url = master or ("" if submitted else DEFAULT_MASTER)
    with _lock:
        if url not in _sessions:
            builder = SparkSession.builder.appName("kir-tracker")
            if url:
                builder = builder.master(url)
            local = (url or "").startswith("local")
            for key, value in (SESSION_CONFIG | (LOCAL_CONFIG if local else {})).items():
                builder = builder.config(key, value)
            _sessions[url] = builder.getOrCreate()
            _sessions[url].sparkContext.setLogLevel("ERROR")
        return _sessions[url]


def _spark_errors() -> tuple[type[Exception], ...]:
    try:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException
    except ImportError:
        return ()
    return (PySparkException, Py4JJavaError)


SPARK_ERRORS = _spark_errors()


def spark_message(exc: Exception) -> str:
    """What Spark said, without the JVM's stack: the innermost cause that says something
    (the outer ones are often only "Exception thrown in awaitResult")."""
    java = getattr(exc, "java_exception", None)
    lines = [str(exc)] if java is None else []
    while java is not None:
        lines.append(f"{java.getClass().getSimpleName()}: {java.getMessage() or ''}")
        java = java.getCause()
    said = [line.strip().splitlines()[0] for line in lines if line.strip().split(":")[-1].strip()]
    return said[-1] if said else type(exc).__name__


@dataclass
class SparkInputs:
    uris: list[str]
    plausible: sql_alerts.Plausible


def _kind(data_type: object) -> str | None:
    """A Spark column type as the kinds inputs.py checks Parquet columns by."""
    from pyspark.sql import types as T

    if isinstance(data_type, T.NullType):
        return "null"
    if isinstance(data_type, T.StringType):
        return "text"
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType):
        return "timestamp"
    if isinstance(data_type, T.IntegralType):
        return "integer"
    return None


def read_alerts(spark: SparkSession, uris: Sequence[str | Path], rules: Rules) -> SparkInputs:
    """Register the alert files as `alerts_raw`, after checking their columns and types."""
    listed = [str(u) for u in uris]
    try:
        frame = spark.read.option("mergeSchema", "true").parquet(*listed)
    except SPARK_ERRORS as exc:
        raise TrackerError(
            f"{', '.join(listed)}: not readable as Parquet by Spark: {spark_message(exc)}"
        ) from None
    found = frame.columns
    where = ", ".join(listed)
    for column in ALERT_COLUMNS:
        if column not in found:
            raise TrackerError(f"{where}: missing column {column!r} (found: {', '.join(found)})")
    kinds = checked_alert_kinds(
        where, {f.name: (_kind(f.dataType), f.dataType.simpleString()) for f in frame.schema}
    )
    start, end = rules.inputs.time_range(datetime.now(UTC).date())
    plausible = sql_alerts.Plausible(
        start=start,
        end=end,
        max_throttled=rules.inputs.max_throttled_count,
        has_throttled="throttled_count" in found,
        throttled_integer="throttled_count" in found and kinds[-1] == "integer",
    )
    from pyspark.sql import functions as F

    # Where each row came from, for the reject messages; the pass itself never reads them.
    frame = frame.select(
        "*",
        F.col("_metadata.file_path").alias("kir_file"),
        (F.col("_metadata.row_index") + 1).alias("kir_row_no"),
    )
    frame.createOrReplaceTempView("alerts_raw")
    return SparkInputs(listed, plausible)


def ship_devices(con: duckdb.DuckDBPyConnection, spark: SparkSession) -> None:
    """The driver's `device` table as Spark's `device` view, keyed by Spark's hash."""
    table = con.sql(
        "SELECT device_id, CAST(dev_key AS DECIMAL(20, 0)) AS driver_key, "
        "CAST(region_no AS INTEGER) AS region_no, dmc_key FROM device"
    ).to_arrow_table()
    spark.createDataFrame(table).createOrReplaceTempView("device_driver")
    spark.sql(
        "SELECT xxhash64(device_id) AS dev_key, driver_key, region_no, dmc_key FROM device_driver"
    ).cache().createOrReplaceTempView("device")


def _pass_sql(inputs: SparkInputs, rules: Rules, day_from: date | None, day_to: date | None) -> str:
    normalised = sql_alerts.normalised_alerts("alerts_raw", inputs.plausible, trust_canonical=False)
    source = f"SELECT * FROM ({normalised}) WHERE {scan_range_sql(rules, day_from, day_to)}"
    aggregated = sql_alerts.aggregates(
        sql_alerts.flagged_alerts(source, rules, with_carry=False),
        day_from=day_from.isoformat() if day_from else None,
        day_to=day_to.isoformat() if day_to else None,
    )
    return to_spark(aggregated)


# A device the inventory lacks keeps Spark's key, made non-negative to fit the driver's unsigned
# keys; it only has to differ from every other device's (it is counted, never looked up).
_DRIVER_KEYS = """
    SELECT g.day, g.region, g.dmc_key, g.code,
           coalesce(d.driver_key, CAST(pmod(g.sup_dev, 9223372036854775807) AS DECIMAL(20, 0)))
               AS sup_dev,
           g.messages, g.alerts, g.superfluous
    FROM ({groups}) g LEFT JOIN device d ON g.sup_dev = d.dev_key"""


def _to_duckdb(con: duckdb.DuckDBPyConnection, frame: DataFrame) -> None:
    """The pass's groups as the driver's `scan_groups`, in the DuckDB pass's column types."""
    con.register("kir_spark_groups", frame.toArrow())
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE scan_groups AS SELECT day, region, dmc_key, code, "
            "CAST(sup_dev AS UBIGINT) AS sup_dev, CAST(messages AS HUGEINT) AS messages, "
            "CAST(alerts AS HUGEINT) AS alerts, CAST(superfluous AS HUGEINT) AS superfluous "
            "FROM kir_spark_groups"
        )
    finally:
        con.unregister("kir_spark_groups")


def spark_scan_alerts(
    con: duckdb.DuckDBPyConnection,
    spark: SparkSession,
    uris: Sequence[str | Path],
    rules: Rules,
    *,
    day_from: date | None = None,
    day_to: date | None = None,
    progress: Progress = silent,
) -> tuple[ScanSummary, Rejects]:
    """scan.scan_alerts on Spark, with the rejects it counted (the same Rejects DuckDB gives)."""
    try:
        return _scan(con, spark, uris, rules, day_from, day_to, progress)
    except SPARK_ERRORS as exc:
        raise TrackerError(f"the alert pass on Spark failed: {spark_message(exc)}") from None


def _scan(
    con: duckdb.DuckDBPyConnection,
    spark: SparkSession,
    uris: Sequence[str | Path],
    rules: Rules,
    day_from: date | None,
    day_to: date | None,
    progress: Progress,
) -> tuple[ScanSummary, Rejects]:
    inputs = read_alerts(spark, uris, rules)
    done = timed(progress, "spark: sending the inventory")
    ship_devices(con, spark)
    done()
    done = timed(progress, "spark: the alert pass")
    groups = spark.sql(_DRIVER_KEYS.format(groups=_pass_sql(inputs, rules, day_from, day_to)))
    _to_duckdb(con, groups)
    done()
    split_scan_groups(con)
    summary = summarise_scan(con)
    done = timed(progress, "spark: rejects and unknown devices")
    if summary.unknown_device_alerts:
        summary.unknown_device_sample = _unknown_sample(spark)
    rejects = _rejects(spark, inputs, summary) if summary.rejected_rows else Rejects()
    done()
    return summary, rejects


def _unknown_sample(spark: SparkSession) -> list[str]:
    query = to_spark(sql_alerts.unmatched_device_ids("alerts_raw"))
    rows = spark.sql(f"SELECT * FROM ({query}) WHERE NOT malformed AND NOT known_when_normalised")
    return [str(row[0]) for row in rows.limit(UNKNOWN_SAMPLE).collect()]


def _rejects(spark: SparkSession, inputs: SparkInputs, summary: ScanSummary) -> Rejects:
    """The malformed rows, each with its file and row: the same messages as alert_rejects.py."""
    throttled = "CAST(throttled_count AS VARCHAR)" if inputs.plausible.has_throttled else "NULL"
    query = f"""
        SELECT kir_file, kir_row_no, reason, device_id, code, raised_at, throttled FROM (
            SELECT kir_file, kir_row_no,
                   {reason_sql(summary.invalid_codes, inputs.plausible)} AS reason,
                   CAST(device_id AS VARCHAR) AS device_id, CAST(alert_code AS VARCHAR) AS code,
                   CAST(raised_at AS VARCHAR) AS raised_at, {throttled} AS throttled
            FROM alerts_raw)
        WHERE reason IS NOT NULL"""
    found = spark.sql(to_spark(query)).collect()
    # Files in the order they were given, rows in file order: as the DuckDB pass reports them.
    named = [(_given_name(file, inputs.uris), row, rest) for file, row, *rest in found]
    order = {uri: i for i, uri in enumerate(inputs.uris)}
    named.sort(key=lambda item: (order.get(item[0], len(order)), item[0], item[1]))
    rejects = Rejects()
    rejects.rows = [
        Reject(RejectKind.ALERT_VALUE, file, int(row), *rest) for file, row, rest in named
    ]
    return rejects


def _given_name(file: str, uris: list[str]) -> str:
    """A file as the user named it: Spark reports a local path as file:/abs/path."""
    local = urlparse(file).path if file.startswith("file:") else None
    for uri in uris:
        if file == uri or (local is not None and local == str(Path(uri).resolve())):
            return uri
    return file
