"""Ingest state in SQL: the carry over midnight, and the partial aggregates written and read."""

from __future__ import annotations

from kir.tracker.engine.sql import file_list, quote


def with_carry(source: str, carry_path: str | None) -> str:
    fresh = f"SELECT *, false AS carried, false AS carried_flag FROM ({source})"
    if carry_path is None:
        return fresh
    return (
        f"{fresh} UNION ALL SELECT dev_key, code, ts_us, n, true AS valid, true AS carried, "
        f"carried_flag FROM read_parquet({quote(carry_path)})"
    )


def carry_out(end_us: int, margin_us: int) -> str:
    """Each device stream's last alert close enough to midnight to matter tomorrow.

    back_flag says whether it is already counted superfluous, so that tomorrow only adds what
    its successor reveals (a flap's first half).
    """
    return f"""
        SELECT dev_key, code, ts_us, n, back_flag AS carried_flag FROM flagged_rows
        WHERE valid AND NOT carried AND ts_us >= {int(end_us) - int(margin_us)}
        QUALIFY row_number() OVER (
            PARTITION BY dev_key, stream ORDER BY ts_us DESC, code DESC) = 1"""


def partial_day_table() -> str:
    return """
        SELECT a.day, a.region, m.signature, a.code, a.messages, a.alerts, a.superfluous
        FROM agg_day a LEFT JOIN dmc m ON m.dmc_key = a.dmc_key WHERE a.day IS NOT NULL"""


def partial_device_table() -> str:
    return """
        SELECT s.day, s.region, m.signature, s.code, s.dev_key, s.superfluous
        FROM dev_sup s LEFT JOIN dmc m ON m.dmc_key = s.dmc_key"""


def window_from_partials(
    day_files: list[str], device_files: list[str], lo: str, hi: str
) -> list[str]:
    window = f"day BETWEEN DATE {quote(lo)} AND DATE {quote(hi)}"
    return [
        f"""CREATE OR REPLACE TEMP TABLE agg_day AS
            SELECT a.day, a.region, m.dmc_key, a.code, sum(a.messages) AS messages,
                   sum(a.alerts) AS alerts, sum(a.superfluous) AS superfluous
            FROM read_parquet({file_list(day_files)}) a
            LEFT JOIN dmc m ON m.signature = a.signature
            WHERE {window} GROUP BY ALL""",
        f"""CREATE OR REPLACE TEMP TABLE dev_sup AS
            SELECT s.day, s.region, m.dmc_key, s.code, s.dev_key,
                   sum(s.superfluous) AS superfluous
            FROM read_parquet({file_list(device_files)}) s
            LEFT JOIN dmc m ON m.signature = s.signature
            WHERE {window} GROUP BY ALL""",
    ]
