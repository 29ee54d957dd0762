from django.db import migrations, models


def expect_evidence_where_the_file_named_it(apps, schema_editor):
    """Catalogue versions loaded before this field existed read as the loader
    reads a file without the key: a criterion expects evidence when its file
    named typical evidence. The shipped working version names typical evidence
    for every criterion and now says `evidence_required: true` for each, so a
    version loaded before and after this migration agree."""
    Criterion = apps.get_model("certification", "Criterion")
    Criterion.objects.exclude(typical_evidence="").update(evidence_required=True)


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0004_log_entry"),
    ]

    operations = [
        migrations.AddField(
            model_name="criterion",
            name="evidence_required",
            field=models.BooleanField(
                default=False,
                help_text="Wer das Kriterium als erfüllt angibt, verknüpft vor dem Einreichen mindestens einen Nachweis.",
                verbose_name="Nachweis erforderlich",
            ),
        ),
        migrations.RunPython(expect_evidence_where_the_file_named_it, migrations.RunPython.noop),
    ]
