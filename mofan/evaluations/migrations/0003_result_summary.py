"""Issue 7: `UnitResult.campaign` (the enrollment's, repeated so the dashboard's unit table walks
an index by score) with its indexes, and the stored campaign-wide `ResultSummary`. Summaries of
existing campaigns are built by `manage.py recompute_results`; until then the dashboard computes
them from the results, as before."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_campaign(apps, schema_editor):
    UnitResult = apps.get_model("evaluations", "UnitResult")
    Enrollment = apps.get_model("campaigns", "Enrollment")
    UnitResult.objects.update(
        campaign_id=models.Subquery(
            Enrollment.objects.filter(pk=models.OuterRef("enrollment_id")).values("campaign_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_campaign_rectify_days_campaign_rectify_grades_and_more"),
        ("evaluations", "0002_unit_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ResultSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("results", models.PositiveIntegerField(default=0)),
                ("composites", models.PositiveIntegerField(default=0)),
                ("composite_sum", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("top", models.DecimalField(decimal_places=2, max_digits=9)),
                ("bins", models.JSONField(default=list)),
                ("grades", models.JSONField(default=dict)),
                ("type_sums", models.JSONField(default=dict)),
                ("type_counts", models.JSONField(default=dict)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddField(
            model_name="unitresult",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="unit_results",
                to="campaigns.campaign",
            ),
        ),
        migrations.RunPython(backfill_campaign, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="unitresult",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="unit_results",
                to="campaigns.campaign",
            ),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(fields=["campaign", "composite"], name="unit_result_composite"),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(fields=["campaign", "rank"], name="unit_result_rank"),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(fields=["campaign", "self_total"], name="unit_result_self"),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(fields=["campaign", "review_total"], name="unit_result_review"),
        ),
        migrations.AddField(
            model_name="resultsummary",
            name="campaign",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="result_summary",
                to="campaigns.campaign",
            ),
        ),
    ]
