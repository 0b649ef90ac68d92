"""Two more built-in kinds (the half-yearly report of members' organisational life to all
members, and a branch's 四化 acceptance check), so that every rule of DOMAIN.md section 3 is
computed from the ledger; `load_builtin_kinds` updates the kinds that exist and adds these."""

from django.db import migrations

from mofan.activities.builtin_kinds import load_builtin_kinds


def load(apps, schema_editor):
    load_builtin_kinds(apps.get_model("activities", "ActivityKind"))


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_builtin_kinds")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
