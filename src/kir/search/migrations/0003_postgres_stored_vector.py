from django.db import migrations

from kir.search.fulltext_sql import store_postgres_vector, unstore_postgres_vector


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_fulltext"),
    ]

    operations = [
        migrations.RunPython(store_postgres_vector, unstore_postgres_vector, elidable=False),
    ]
