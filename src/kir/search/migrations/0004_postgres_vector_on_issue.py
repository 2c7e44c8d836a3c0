from django.db import migrations

from kir.search.fulltext_sql import move_postgres_vector_to_document, move_postgres_vector_to_issue


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_postgres_stored_vector"),
        ("register", "0005_issue_list_columns_index"),
    ]

    operations = [
        migrations.RunPython(
            move_postgres_vector_to_issue, move_postgres_vector_to_document, elidable=False
        ),
    ]
