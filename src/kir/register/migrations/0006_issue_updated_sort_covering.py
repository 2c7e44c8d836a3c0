"""The default list order, readable from its index alone, on PostgreSQL.

A list in the default order (newest update first) walks `register_issue_updated_sort` and tests
visibility and the filters on each issue until it has a page and the count cap. Reading those
columns from the table means decoding wide rows (title, summary and description come before the
state and organisation columns): a manufacturer filter that walks 5,000 issues spent most of its
time there. With the columns in the index the walk is index-only.

The narrow copy of migration 0005 served a text search joining its matches back to the visible
issues; since search.0004 the vector is on the issue row and the search reads the row itself. What
still joins issues by id is the procurement check (each affected product to its issue, for the
state and the publication date it ranks by), so the copy now holds those two columns.

SQLite is left alone (no INCLUDE columns); the plain sort index of migration 0003 stays there.
"""

from django.db import migrations

UPDATED_SORT = "register_issue_updated_sort"
LIST_COLUMNS = "register_issue_list_columns"
PUBLICATION = "register_issue_publication"
INCLUDED = (
    "state",
    "reporter_organisation_id",
    "coordinator_organisation_id",
    "category",
    "regions",
)


def cover(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {LIST_COLUMNS}")
    schema_editor.execute(
        f"CREATE INDEX {PUBLICATION} ON register_issue (id) INCLUDE (state, published_at)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {UPDATED_SORT}")
    schema_editor.execute(
        f"CREATE INDEX {UPDATED_SORT} ON register_issue (updated_at DESC, id DESC) "
        f"INCLUDE ({', '.join(INCLUDED)})"
    )


def uncover(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {UPDATED_SORT}")
    schema_editor.execute(
        f"CREATE INDEX {UPDATED_SORT} ON register_issue (updated_at DESC, id DESC)"
    )
    schema_editor.execute(
        f"CREATE INDEX {LIST_COLUMNS} ON register_issue (id) "
        f"INCLUDE (state, reporter_organisation_id, coordinator_organisation_id, updated_at, "
        f"category, regions)"
    )


class Migration(migrations.Migration):
    dependencies = [("register", "0005_issue_list_columns_index")]

    operations = [migrations.RunPython(cover, uncover)]
