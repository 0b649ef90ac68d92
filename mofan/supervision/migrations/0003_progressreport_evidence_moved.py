# ProgressReport.evidence points at evidence.Evidence (moved from evaluations, same table): state
# only; the through table (supervision_progressreport_evidence: progressreport_id, evidence_id)
# keeps its name and columns.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_spotcheckdraw_system_draws'),
        ('evidence', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='progressreport',
                    name='evidence',
                    field=models.ManyToManyField(blank=True, related_name='+', to='evidence.evidence'),
                ),
            ],
            database_operations=[],
        ),
    ]
