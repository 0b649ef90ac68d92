# ProblemItem.evidence points at evidence.Evidence (moved from evaluations, same table): state
# only; the through table (rectification_problemitem_evidence: problemitem_id, evidence_id) keeps
# its name and columns.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rectification', '0001_initial'),
        ('evidence', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='problemitem',
                    name='evidence',
                    field=models.ManyToManyField(blank=True, related_name='problem_items', to='evidence.evidence', verbose_name='佐证'),
                ),
            ],
            database_operations=[],
        ),
    ]
