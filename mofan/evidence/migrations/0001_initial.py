# The Evidence model moves from `evaluations` to `evidence` without touching the data: the table
# keeps its name (evaluations_evidence), its index and constraint names; only Django's state
# changes. evaluations 0005 removes the old model from the state once every reference points
# here (campaigns 0005, rectification 0002, supervision 0003).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('evaluations', '0004_scale_indexes'),
        ('organizations', '0002_unit_constraint_messages'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Evidence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sha256', models.CharField(max_length=64)),
                        ('original_name', models.CharField(max_length=255, verbose_name='文件名')),
                        ('stored_name', models.CharField(max_length=100, unique=True)),
                        ('kind', models.CharField(choices=[('pdf', 'PDF'), ('docx', 'Word'), ('xlsx', 'Excel'), ('jpg', 'JPEG'), ('png', 'PNG'), ('ofd', 'OFD')], max_length=8, verbose_name='类型')),
                        ('size', models.PositiveBigIntegerField(verbose_name='大小')),
                        ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='organizations.unit')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'evaluations_evidence',
                        'ordering': ['unit', '-uploaded_at'],
                        'constraints': [models.UniqueConstraint(fields=('unit', 'sha256'), name='evidence_unit_sha256_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
