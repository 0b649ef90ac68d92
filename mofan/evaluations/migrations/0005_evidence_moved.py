# Evidence has moved to the `evidence` app (same table, evaluations_evidence): EvidenceLink points
# there and the model leaves the state of `evaluations`, after every other reference has moved.
# State only: the database does not change.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0004_scale_indexes'),
        ('evidence', '0001_initial'),
        ('campaigns', '0005_plan_evidence_moved'),
        ('rectification', '0002_problemitem_evidence_moved'),
        ('supervision', '0003_progressreport_evidence_moved'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='evidencelink',
                    name='evidence',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links', to='evidence.evidence'),
                ),
                migrations.DeleteModel(name='Evidence'),
            ],
            database_operations=[],
        ),
    ]
