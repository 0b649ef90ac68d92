"""The built-in kinds of record (mofan.activities.builtin_kinds)."""

from django.db import migrations

from mofan.activities.builtin_kinds import load_builtin_kinds


def load(apps, schema_editor):
    load_builtin_kinds(apps.get_model("activities", "ActivityKind"))


def unload(apps, schema_editor):
    apps.get_model("activities", "ActivityKind").objects.filter(committee=None).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
