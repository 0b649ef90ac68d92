"""Issue 7: the dashboard counts a campaign's enrollments by state from this index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_campaign_rectify_days_campaign_rectify_grades_and_more"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(fields=["campaign", "state"], name="enrollment_campaign_state"),
        ),
    ]
