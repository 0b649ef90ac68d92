"""`AccountBatch.queued_at` (core.background.HandedWork): a batch's wait counts from when it was
last queued. Batches made before it had the field were last queued when they were made."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def queued_when_made(apps, schema_editor):
    batch = apps.get_model("accounts", "AccountBatch")
    batch.objects.update(queued_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_batches_and_shared_rate"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountbatch",
            name="queued_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(queued_when_made, migrations.RunPython.noop),
    ]
