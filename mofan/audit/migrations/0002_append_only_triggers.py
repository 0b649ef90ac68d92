from django.db import migrations


def create_triggers(apps, schema_editor):
    from mofan.audit import triggers

    for statement in triggers.create_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    from mofan.audit import triggers

    for statement in triggers.drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
