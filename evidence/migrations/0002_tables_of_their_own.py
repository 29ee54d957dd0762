# The moved tables get the evidence app's names (ALTER TABLE ... RENAME: rows,
# keys and files stay as they are), and the content types follow, so that
# permissions and admin history keep pointing at the same models.

from django.db import migrations

MODELS = ["evidence", "evidencerevision", "evidencegrant", "evidencegrantlog"]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="evidence", model=model).exists():
            ContentType.objects.filter(app_label="assessments", model=model).update(app_label="evidence")


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="assessments", model=model).exists():
            ContentType.objects.filter(app_label="evidence", model=model).update(app_label="assessments")


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0001_initial'),
        ('assessments', '0004_evidence_moved_to_its_app'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelTable(name='evidence', table=None),
        migrations.AlterModelTable(name='evidencerevision', table=None),
        migrations.AlterModelTable(name='evidencegrant', table=None),
        migrations.AlterModelTable(name='evidencegrantlog', table=None),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
