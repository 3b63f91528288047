"""Keyword index of image texts (FTS5 on SQLite, tsvector + GIN on PostgreSQL); see browser.keywords.
Fill it for existing images with: manage.py rebuild_search_text."""
from django.db import migrations

from browser.keywords import CREATE_SQL, TABLE


def create_text_table(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in CREATE_SQL.get(vendor, CREATE_SQL["other"]):
        schema_editor.execute(statement)


def drop_text_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ("browser", "0001_initial"),
        ("ingest", "0003_clinical_records"),
    ]

    operations = [migrations.RunPython(create_text_table, drop_text_table)]
