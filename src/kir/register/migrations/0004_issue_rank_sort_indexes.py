"""Read-path indexes for the ranked sorts of the register list, on PostgreSQL.

`-impact` and `-evidence` (selectors.filters.SORTS) order by a CASE that ranks the level, then
newest update first. Without an index in that order the database ranks and sorts every visible
issue to serve one page (20,000 at benchmark scale). PostgreSQL uses an index on the same
expression; the CASE below must stay the one `_ranked` builds (same values, same order, ELSE -1),
which tests/register/test_selectors.py checks through the query plan.

SQLite is left alone: it receives the CASE values as bound parameters, which never match an
indexed expression.
"""

from django.db import migrations

LEVELS = {
    "impact": ("impact_level", ("low", "moderate", "high", "severe")),
    "evidence": ("evidence_level", ("reported", "corroborated", "established")),
}


def _rank_sql(column: str, values: tuple[str, ...]) -> str:
    cases = " ".join(f"WHEN {column} = '{value}' THEN {rank}" for rank, value in enumerate(values))
    return f"(CASE {cases} ELSE -1 END)"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (column, values) in LEVELS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS register_issue_{name}_sort ON register_issue "
            f"({_rank_sql(column, values)} DESC, updated_at DESC, id DESC)"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in LEVELS:
        schema_editor.execute(f"DROP INDEX IF EXISTS register_issue_{name}_sort")


class Migration(migrations.Migration):
    dependencies = [("register", "0003_issue_sort_indexes")]

    operations = [migrations.RunPython(create, drop)]
