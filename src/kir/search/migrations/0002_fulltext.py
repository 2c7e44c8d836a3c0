from django.db import migrations

from kir.search.fulltext_sql import create_fulltext, drop_fulltext


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_fulltext, drop_fulltext, elidable=False),
    ]
