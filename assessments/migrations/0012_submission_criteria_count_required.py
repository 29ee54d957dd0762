from django.db import migrations, models


class Migration(migrations.Migration):
    # Its own migration (its own transaction): PostgreSQL alters no table
    # with updates of the same transaction still pending.
    dependencies = [
        ("assessments", "0011_submission_criteria_count"),
    ]

    operations = [
        migrations.AlterField(
            model_name="submission",
            name="criteria_count",
            field=models.PositiveSmallIntegerField(editable=False, verbose_name="Kriterien"),
        ),
    ]
