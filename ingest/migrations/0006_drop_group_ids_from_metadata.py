"""Images ingested from labels CSVs before 0005 kept `split_group` (covid_chestxray's raw patient id) and
`dup_group` in their metadata; ingestion no longer stores them, and this removes them from earlier rows."""
from django.db import migrations

DROPPED_KEYS = ("split_group", "dup_group")


def drop_group_ids(apps, schema_editor):
    Image = apps.get_model("ingest", "Image")
    for image in Image.objects.only("id", "metadata").iterator():
        if isinstance(image.metadata, dict) and any(key in image.metadata for key in DROPPED_KEYS):
            image.metadata = {key: value for key, value in image.metadata.items() if key not in DROPPED_KEYS}
            image.save(update_fields=["metadata"])


class Migration(migrations.Migration):

    dependencies = [
        ("ingest", "0005_image_without_file_name"),
    ]

    operations = [
        migrations.RunPython(drop_group_ids, migrations.RunPython.noop),
    ]
