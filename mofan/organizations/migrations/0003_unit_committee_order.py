"""Issue 7: a committee's units in its own order, walked by the dashboard's unit table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0002_unit_constraint_messages'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='unit',
            index=models.Index(fields=['committee', 'sort_order', 'name'], name='unit_committee_order'),
        ),
    ]
