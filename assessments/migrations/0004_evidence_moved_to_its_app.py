# The document library now lives in the evidence app (evidence 0001 took the
# models over in the migration state). Here the links that stay in
# assessments point at the moved models, and the old model states go; the
# database is not touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0003_event_notified_at'),
        ('evidence', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='evidencelink',
                    name='evidence',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='links', to='evidence.evidence'),
                ),
                migrations.AlterField(
                    model_name='submissionrevision',
                    name='revision',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='submissions', to='evidence.evidencerevision'),
                ),
                migrations.DeleteModel(name='EvidenceGrantLog'),
                migrations.DeleteModel(name='EvidenceGrant'),
                migrations.DeleteModel(name='EvidenceRevision'),
                migrations.DeleteModel(name='Evidence'),
            ],
        ),
    ]
