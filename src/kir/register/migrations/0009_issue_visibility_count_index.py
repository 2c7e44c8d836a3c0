"""The columns `visibility_q` reads, alone in a narrow index, on PostgreSQL.

The list page counts the issues a user may see before it reads its page. With no filter that
count touched every issue row: at benchmark scale 5,800 heap pages (46 MB of titles, texts and
search vectors) per request, 75 ms on the shared machine and the largest part of the page's
database time, mostly re-read from disk since the table does not stay in shared buffers. From
this index (1.2 MB) PostgreSQL answers the same count with an index-only scan: 15 ms.
`id` is included for the named-manufacturer rule (`id = ANY(...)`).
tests/register/test_selectors.py checks through the query plan that the count still reads it.

SQLite is left alone, as in 0005: its list reads are not the benchmarked path.
"""

from django.db import migrations

INDEX = "register_issue_visibility"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON register_issue "
        "(state, reporter_organisation_id, coordinator_organisation_id) INCLUDE (id)"
    )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("register", "0008_threshold_policy_tracker_grade")]

    operations = [migrations.RunPython(create, drop)]
