"""The engine's DuckDB statements, transpiled to Spark SQL: one definition of each query.

SQLGlot parses the DuckDB text that sql_alerts.py writes and prints it as Spark SQL; the few
functions SQLGlot passes through unchanged (DuckDB names Spark does not have) are rewritten here,
each to the Spark function that computes the same value. The Spark/DuckDB equality tests
(tests/tracker/engine/test_spark.py) are what keep the two readings of one query equal.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

# DuckDB functions SQLGlot leaves as they are, and the Spark function of the same value. The node
# is renamed in place: a new node would hide its arguments from the rest of the rewrite.
_RENAMED = {
    # DuckDB's hash is 64 bits; Spark's HASH is Murmur3 in 32 bits, which would make devices
    # collide in a national estate. The values differ from DuckDB's: keys never leave one engine
    # (spark_scan.py maps them back to the driver's keys).
    "HASH": "XXHASH64",
    "EPOCH_US": "UNIX_MICROS",
    "LIST_EXTRACT": "ELEMENT_AT",
    "LIST_POSITION": "ARRAY_POSITION",
    "STRLEN": "LENGTH",
}


def _full_match(node: exp.RegexpFullMatch) -> exp.Expression:
    """regexp_full_match(x, p) is `x RLIKE '^(?:p)$'` (RLIKE finds the pattern anywhere)."""
    pattern = node.expression
    if not isinstance(pattern, exp.Literal):
        raise ValueError(f"only literal patterns are transpiled: {node.sql('duckdb')}")
    return exp.RegexpLike(this=node.this, expression=exp.Literal.string(f"^(?:{pattern.this})$"))


def _replacement(node: exp.RegexpReplace) -> exp.Expression:
    """DuckDB (RE2) writes a group in a replacement as \\1; Java's regex writes $1."""
    replacement = node.args.get("replacement")
    if isinstance(replacement, exp.Literal):
        text = replacement.this
        for group in range(9, 0, -1):
            text = text.replace(f"\\{group}", f"${group}")
        node.set("replacement", exp.Literal.string(text))
    node.set("modifiers", None)  # 'g': Spark's regexp_replace replaces every match anyway
    return node


def _timestamp_literal(node: exp.Cast) -> exp.Expression:
    """'2026-01-01 00:00:00+00': Spark reads the zone only as +00:00."""
    value = node.this
    if (
        node.to.is_type(exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMP)
        and isinstance(value, exp.Literal)
        and value.is_string
        and value.this.endswith("+00")
    ):
        node.set("this", exp.Literal.string(value.this + ":00"))
    return node


def _drop_star_exclusions(node: exp.Star) -> exp.Expression:
    # `* EXCLUDE (c)` only ever drops a helper column that the outer query does not select;
    # Spark SQL has no such clause, and carrying the column along changes no result.
    node.set("except", None)
    return node


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and node.name.upper() in _RENAMED:
        node.set("this", _RENAMED[node.name.upper()])
        return node
    if isinstance(node, exp.RegexpFullMatch):
        return _full_match(node)
    if isinstance(node, exp.RegexpReplace):
        return _replacement(node)
    if isinstance(node, exp.Cast):
        return _timestamp_literal(node)
    if isinstance(node, exp.Star) and node.args.get("except"):
        return _drop_star_exclusions(node)
    return node


def to_spark(duckdb_sql: str) -> str:
    """The statement as Spark SQL computes it."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    return tree.transform(_rewrite).sql(dialect="spark")
