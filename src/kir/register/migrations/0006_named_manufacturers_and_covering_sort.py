"""The manufacturers each issue names, on its row; the default list order, readable from its
index alone. PostgreSQL only; SQLite is left alone (no INCLUDE columns, no transition tables).

Named manufacturers. A manufacturer filter asks for the issues naming one of the manufacturer's
device versions, directly or as a member of an affected DMC. For a whole manufacturer (a third of
the register at benchmark scale) that meant hashing over 10,000 product rows for every list.
`register_issue.named_manufacturer_ids` holds the ids of those manufacturers, sorted, so the
filter is one array test per issue (selectors.filters). Statement triggers on the affected
products (and on new issues) keep it in step: whatever writes products (services, bulk loads,
tests), the issues it touched are recomputed in one set-based UPDATE per statement, which also
plans well on tables that have no statistics yet, and rows whose array is unchanged are left
alone. A product's manufacturers cannot change under it: a DMC's members
and a model's manufacturer are fixed once created (kir.catalogue.services). The column is unknown
to the Issue model, so ordinary issue reads and writes never carry it.

Default order. A list in the default order (newest update first) walks
`register_issue_updated_sort` and tests visibility and the filters on each issue until it has a
page and the count cap. Reading those columns from the table means decoding wide rows (title,
summary and description come before the state and organisation columns). With them in the index,
the named manufacturers included, the walk is index-only.

The narrow copy of migration 0005 served a text search joining its matches back to the visible
issues; since search.0004 the vector is on the issue row and the search reads the row itself. What
still joins issues by id is the procurement check (each affected product to its issue, for the
state and the publication date it ranks by), so the copy now holds those two columns.
"""

from django.db import migrations

COLUMN = "named_manufacturer_ids"
UPDATED_SORT = "register_issue_updated_sort"
LIST_COLUMNS = "register_issue_list_columns"
PUBLICATION = "register_issue_publication"
INCLUDED = (
    "state",
    "reporter_organisation_id",
    "coordinator_organisation_id",
    "category",
    "regions",
    COLUMN,
)

REFRESH = f"""
CREATE FUNCTION register_refresh_named_manufacturers(issues bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE register_issue i SET {COLUMN} = coalesce(named.ids, '{{}}')
    FROM (
        SELECT c.id, array_agg(DISTINCT n.manufacturer_id ORDER BY n.manufacturer_id)
            FILTER (WHERE n.manufacturer_id IS NOT NULL) AS ids
        FROM unnest(issues) AS c(id)
        LEFT JOIN (
            SELECT p.issue_id, m.manufacturer_id FROM register_affectedproduct p
            JOIN catalogue_deviceversion v ON v.id = p.device_version_id
            JOIN catalogue_devicemodel m ON m.id = v.device_model_id
            UNION ALL
            SELECT p.issue_id, m.manufacturer_id FROM register_affectedproduct p
            JOIN catalogue_dmc_members d ON d.dmc_id = p.dmc_id
            JOIN catalogue_deviceversion v ON v.id = d.deviceversion_id
            JOIN catalogue_devicemodel m ON m.id = v.device_model_id
        ) n ON n.issue_id = c.id
        GROUP BY c.id
    ) named
    WHERE i.id = named.id AND i.{COLUMN} <> coalesce(named.ids, '{{}}')
$$"""

# One function for the three statement triggers: each names only the transition tables its
# event has, and PL/pgSQL resolves a table name only when the branch that uses it runs.
ON_PRODUCTS = """
CREATE FUNCTION register_products_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM register_refresh_named_manufacturers(
            ARRAY(SELECT DISTINCT issue_id FROM new_products));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM register_refresh_named_manufacturers(
            ARRAY(SELECT DISTINCT issue_id FROM old_products));
    ELSE
        PERFORM register_refresh_named_manufacturers(ARRAY(
            SELECT issue_id FROM old_products UNION SELECT issue_id FROM new_products));
    END IF;
    RETURN NULL;
END $$"""

# Products written before their issue row in one transaction (foreign keys are deferred, as a
# fixture load may do) found no row to update; the issue's own insert catches them up.
ON_ISSUES = """
CREATE FUNCTION register_issues_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM register_refresh_named_manufacturers(ARRAY(SELECT id FROM new_issues));
    RETURN NULL;
END $$"""

TRIGGERS = {
    "register_products_inserted": "AFTER INSERT ON register_affectedproduct "
    "REFERENCING NEW TABLE AS new_products",
    "register_products_deleted": "AFTER DELETE ON register_affectedproduct "
    "REFERENCING OLD TABLE AS old_products",
    "register_products_updated": "AFTER UPDATE ON register_affectedproduct "
    "REFERENCING OLD TABLE AS old_products NEW TABLE AS new_products",
}


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"ALTER TABLE register_issue ADD COLUMN {COLUMN} bigint[] NOT NULL DEFAULT '{{}}'")
    run(REFRESH)
    run(ON_PRODUCTS)
    for name, when in TRIGGERS.items():
        run(
            f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
            "EXECUTE FUNCTION register_products_changed()"
        )
    run(ON_ISSUES)
    run(
        "CREATE TRIGGER register_issues_inserted AFTER INSERT ON register_issue "
        "REFERENCING NEW TABLE AS new_issues FOR EACH STATEMENT "
        "EXECUTE FUNCTION register_issues_inserted()"
    )
    run("SELECT register_refresh_named_manufacturers(ARRAY(SELECT id FROM register_issue))")
    run(f"DROP INDEX IF EXISTS {LIST_COLUMNS}")
    run(f"CREATE INDEX {PUBLICATION} ON register_issue (id) INCLUDE (state, published_at)")
    run(f"DROP INDEX IF EXISTS {UPDATED_SORT}")
    run(
        f"CREATE INDEX {UPDATED_SORT} ON register_issue (updated_at DESC, id DESC) "
        f"INCLUDE ({', '.join(INCLUDED)})"
    )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"DROP INDEX IF EXISTS {PUBLICATION}")
    run(f"DROP INDEX IF EXISTS {UPDATED_SORT}")
    run(f"CREATE INDEX {UPDATED_SORT} ON register_issue (updated_at DESC, id DESC)")
    run(
        f"CREATE INDEX {LIST_COLUMNS} ON register_issue (id) "
        f"INCLUDE (state, reporter_organisation_id, coordinator_organisation_id, updated_at, "
        f"category, regions)"
    )
    run("DROP TRIGGER IF EXISTS register_issues_inserted ON register_issue")
    run("DROP FUNCTION IF EXISTS register_issues_inserted()")
    for name in TRIGGERS:
        run(f"DROP TRIGGER IF EXISTS {name} ON register_affectedproduct")
    run("DROP FUNCTION IF EXISTS register_products_changed()")
    run("DROP FUNCTION IF EXISTS register_refresh_named_manufacturers(bigint[])")
    run(f"ALTER TABLE register_issue DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    dependencies = [("register", "0005_issue_list_columns_index")]

    operations = [migrations.RunPython(forwards, backwards)]
