"""A narrow copy of the columns that visibility and the common list filters read, on PostgreSQL.

A full-text search matching a few thousand issues is joined against the visible issues. Reading
those from the table means decoding 20,000 wide rows (title, summary and description come before
the state and organisation columns): about 6 ms at benchmark scale, the largest part of such a
search. From this index (id, then the columns `visibility_q`, the region and category filters and
the default sort read) PostgreSQL answers the same join with an index-only scan of narrow
entries. tests/register/test_selectors.py checks through the query plan that the visibility
filter can still be answered from it.

SQLite is left alone (no INCLUDE columns; its list reads are not the benchmarked path).
"""

from django.db import migrations

INDEX = "register_issue_list_columns"
COLUMNS = (
    "state",
    "reporter_organisation_id",
    "coordinator_organisation_id",
    "updated_at",
    "category",
    "regions",
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON register_issue (id) INCLUDE ({', '.join(COLUMNS)})"
    )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("register", "0004_issue_rank_sort_indexes")]

    operations = [migrations.RunPython(create, drop)]
