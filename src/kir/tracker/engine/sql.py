"""The SQL vocabulary the engine's statements share: quoting, readers, canonical device ids.

The statements themselves are in sql_alerts.py (the pass over the alerts), sql_estate.py,
sql_cells.py and sql_state.py; small bookkeeping queries (reading reject tables, counting
set-aside history) sit beside the Python that uses them in alert_rejects.py, scan.py and state.py.

The statements stick to window functions, GROUP BY and CASE so that the same analysis can be
moved to Spark SQL; the DuckDB-only pieces are the table functions (read_csv, read_parquet),
`hash`, `regexp_*` and the list functions (list_position, list_extract), each produced by one
small function or constant.
"""

from __future__ import annotations

from collections.abc import Sequence

REGIONS = ("north", "central", "south")
UNKNOWN_REGION = "?unknown"
REJECTED_REGION = "?rejected"


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# The regions as an SQL list, for `region IN (...)` and list functions.
REGIONS_SQL = ", ".join(quote(r) for r in REGIONS)


def file_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(quote(p) for p in paths) + "]"


def read_parquet(paths: Sequence[str], *, row_numbers: bool = False) -> str:
    numbered = ", file_row_number = true" if row_numbers else ""
    return f"read_parquet({file_list(paths)}, union_by_name = true{numbered})"


def numbered_rows(relation: str, *, parquet: bool) -> str:
    """The relation with kir_row_no, each row's 1-based number in its file, for reject messages.

    Parquet numbers its rows as it reads them, in parallel; a CSV needs row_number() over the
    whole file, which runs in one thread.
    """
    number = "file_row_number + 1" if parquet else "row_number() OVER ()"
    return f"(SELECT *, {number} AS kir_row_no FROM {relation})"


def read_csv(paths: Sequence[str], header: Sequence[str], *, store_rejects: bool = False) -> str:
    # Every column is read as text: the statements' casts decide what is malformed, row by row.
    columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
    rejects = ", store_rejects = true, ignore_errors = true" if store_rejects else ""
    return (
        f"read_csv({file_list(paths)}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = ',', quote = '\"', escape = '\"', compression = 'auto'{rejects})"
    )


_CANONICAL_DEVICE_ID = "'[0-9A-F]{2}(-[0-9A-F]{2}){7}'"


def canonical_device_id(expr: str) -> str:
    """The EUI-64 as kir.identifiers.normalise_device_id writes it (00-DB-12-...), or NULL.

    Ids already in that form pass through a cheap pattern test; only the others pay for the
    string surgery.
    """
    digits = f"upper(replace(replace(replace(trim({expr}), '-', ''), ':', ''), ' ', ''))"
    rebuilt = f"rtrim(regexp_replace({digits}, '(..)', '\\1-', 'g'), '-')"
    return (
        f"CASE WHEN regexp_full_match({expr}, {_CANONICAL_DEVICE_ID}) THEN {expr} "
        f"WHEN regexp_full_match({digits}, '[0-9A-F]{{16}}') THEN {rebuilt} END"
    )


def utc_midnight(day: str) -> str:
    """A TIMESTAMPTZ literal for midnight UTC, whatever the session's time zone."""
    return f"TIMESTAMPTZ {quote(day + ' 00:00:00+00')}"
