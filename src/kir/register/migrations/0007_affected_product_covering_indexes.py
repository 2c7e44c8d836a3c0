"""Affected products by device version and by DMC, readable from the index alone, on PostgreSQL.

The procurement check looks up the products naming its device versions and, separately, its DMCs
(selectors.procurement._register_rows), and needs of each its id, issue and status. With those
in the index, each lookup is an index-only scan; otherwise each of a thousand products found is
a visit to a table page of its own.

The (device_version, issue) index of the model and the (dmc, issue) index of migration 0003 stay
as they are on SQLite; on PostgreSQL the DMC one is replaced by its covering form (same name), and
a covering one is added beside the model's index, which Django's migration state owns.
"""

from django.db import migrations

VERSION_COVER = "register_affectedproduct_version_cover"
DMC_ISSUE = "register_affectedproduct_dmc_issue"
TABLE = "register_affectedproduct"


def cover(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX {VERSION_COVER} ON {TABLE} (device_version_id, issue_id) INCLUDE (id, status)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {DMC_ISSUE}")
    schema_editor.execute(
        f"CREATE INDEX {DMC_ISSUE} ON {TABLE} (dmc_id, issue_id) INCLUDE (id, status)"
    )


def uncover(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {VERSION_COVER}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {DMC_ISSUE}")
    schema_editor.execute(f"CREATE INDEX {DMC_ISSUE} ON {TABLE} (dmc_id, issue_id)")


class Migration(migrations.Migration):
    dependencies = [("register", "0006_named_manufacturers_and_covering_sort")]

    operations = [migrations.RunPython(cover, uncover)]
