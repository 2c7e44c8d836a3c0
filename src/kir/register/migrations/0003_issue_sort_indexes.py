"""Read-path indexes: the register list's date sorts, and issues through an affected DMC.

Sorts (selectors.filters.SORTS), newest first: a page of the list is the top of one of these orders; with an index in that order the database
reads the first matching rows and stops, instead of sorting every visible issue for each page
(20,000 at benchmark scale). Plain SQL that SQLite and PostgreSQL both accept; they are not
model state (Issue.Meta), so `makemigrations` leaves them alone. An index read backwards serves
the oldest-first sorts too.

Affected products by DMC, with the issue: the manufacturer, model, firmware and DMC filters and
the procurement check ask "which issues name these DMCs"; with the issue id in the index that
is answered from the index alone (the initial migration indexes (device_version, issue) so, but
the DMC only as a plain foreign key).
"""

from django.db import migrations

INDEXES = {
    "register_issue_updated_sort": "register_issue (updated_at DESC, id DESC)",
    "register_issue_created_sort": "register_issue (created_at DESC, id DESC)",
    "register_issue_published_sort": "register_issue (published_at DESC, id DESC)",
    "register_affectedproduct_dmc_issue": "register_affectedproduct (dmc_id, issue_id)",
}


class Migration(migrations.Migration):
    dependencies = [("register", "0002_seed_phrases_and_policy")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table_columns}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table_columns in INDEXES.items()
    ]
