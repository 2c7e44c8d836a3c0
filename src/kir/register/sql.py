"""The register's database-specific SQL: the few conditions the ORM cannot say well enough.

Each exists because PostgreSQL plans a long list of literals, or a subquery, worse than one
array parameter; SQLite gets the plain form. The rules these conditions serve are decided
elsewhere (visibility in selectors/visibility.py, filters in selectors/filters.py); this module
only spells them. docs/register-performance.md has the measurements behind each choice.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value

# On PostgreSQL, the ids of the catalogue manufacturers each issue names, kept on its row by
# triggers on the affected products (register migration 0006); unknown to the Issue model. The
# property test in tests/register/test_visibility_forms.py holds it equal to
# selectors.visibility.named_manufacturers.
NAMED_MANUFACTURERS_COLUMN = "named_manufacturer_ids"


class _IdAmong(Func):
    """`<issue id> = ANY(<ids>::bigint[])` (PostgreSQL). Compiled over the resolved primary key,
    so it follows the table's alias when the queryset becomes a subquery."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        issue_pk, ids = self.get_source_expressions()
        pk_sql, pk_params = compiler.compile(issue_pk)
        return f"{pk_sql} = ANY(%s::bigint[])", (*pk_params, ids.value)


def issue_id_among(ids: Collection[int]) -> Q:
    """Issue id among `ids`. PostgreSQL takes the ids as one array value: a list of thousands of
    separate literals (IN (...)) costs it more to parse and plan than to run the query."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    return Q(_IdAmong(F("pk"), Value(sorted(ids))))


class _NamesManufacturerAmong(Func):
    """`<issue>.named_manufacturer_ids && <manufacturer ids>::bigint[]` (PostgreSQL): the issue
    names one of the manufacturers, through a device version or a DMC member. The column is
    addressed through the alias of the issue's resolved primary key, since the model does not
    know it."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        issue_pk, manufacturer_ids = self.get_source_expressions()
        column = NAMED_MANUFACTURERS_COLUMN
        identifiers = (issue_pk.alias, column) if issue_pk.alias else (column,)
        column_sql = ".".join(map(compiler.quote_name_unless_alias, identifiers))
        return f"{column_sql} && %s::bigint[]", (manufacturer_ids.value,)


def issue_names_manufacturer_among(manufacturer_ids: Collection[int]) -> Q:
    """The issue names one of the catalogue manufacturers (PostgreSQL only: the column is kept
    there alone). The ids go in as a constant so the planner reads the column's statistics."""
    return Q(_NamesManufacturerAmong(F("pk"), Value(sorted(manufacturer_ids))))


def column_among(column: str, values: Collection[Any], array_type: str) -> tuple[str, list[Any]]:
    """`column` among `values` in plain SQL, with its parameters: one typed array parameter on
    PostgreSQL (untyped, small ids would arrive as smallint[] and keep it off the covering
    indexes), placeholders on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{array_type}[])", [sorted(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", sorted(values)


def line_rows_source(
    rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, str]]
) -> tuple[str, list[Any]]:
    """A SELECT giving `rows` as a table with `columns` ((name, PostgreSQL type) pairs), for a
    query to join thousands of input lines in one statement: one array parameter per column on
    PostgreSQL (unnest), one JSON parameter on SQLite (json_each), where thousands of
    placeholders would pass its limit on parameters."""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        names = ", ".join(name for name, _ in columns)
        params = [[row[index] for row in rows] for index in range(len(columns))]
        return f"SELECT * FROM unnest({arrays}) AS t({names})", params
    values = ", ".join(
        f"json_extract(value, '$[{index}]') AS {name}" for index, (name, _) in enumerate(columns)
    )
    return f"SELECT {values} FROM json_each(%s)", [json.dumps([list(row) for row in rows])]


def text_list(expression: str, separator: str) -> str:
    """An aggregate joining the group's values of `expression` with `separator` (a literal
    without quotes), in no set order: string_agg on PostgreSQL, group_concat on SQLite (whose
    version here, 3.40, has no ORDER BY in aggregates)."""
    if connection.vendor == "postgresql":
        return f"string_agg(CAST({expression} AS TEXT), '{separator}')"
    return f"group_concat({expression}, '{separator}')"
