from django.db import migrations, models


def count_criteria(apps, schema_editor):
    """Every existing submission's count, from its frozen payload."""
    Submission = apps.get_model("assessments", "Submission")
    changed = []
    for submission in Submission.objects.only("pk", "payload").iterator(chunk_size=200):
        payload = submission.payload
        submission.criteria_count = len(payload.get("criteria") or []) if isinstance(payload, dict) else 0
        changed.append(submission)
        if len(changed) == 200:
            Submission.objects.bulk_update(changed, ["criteria_count"])
            changed = []
    Submission.objects.bulk_update(changed, ["criteria_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0010_review_queue_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="criteria_count",
            field=models.PositiveSmallIntegerField(editable=False, null=True, verbose_name="Kriterien"),
        ),
        migrations.RunPython(count_criteria, migrations.RunPython.noop),
    ]
