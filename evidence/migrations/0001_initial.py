# The document library moves from assessments to its own app. The tables
# stay where they are for this step (state only: db_table names them); the
# next migration renames them, so no row and no file is touched.

import django.db.models.deletion
import evidence.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('assessments', '0003_event_notified_at'),
        ('certification', '0003_sealreminder'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Evidence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='Titel')),
                        ('kind', models.CharField(choices=[('offer', 'Nachweis eines Angebots oder einer Veranstaltung'), ('qualification', 'Qualifikationsnachweis (Fortbildung)'), ('agreement', 'Kooperationsvereinbarung'), ('concept', 'Konzept oder Dokumentation'), ('other', 'Sonstiger Nachweis')], default='other', max_length=20, verbose_name='Art')),
                        ('effective_date', models.DateField(verbose_name='Datum des Nachweises')),
                        ('valid_until', models.DateField(blank=True, null=True, verbose_name='gültig bis')),
                        ('training_hours', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True, verbose_name='Umfang der Fortbildung (Stunden)')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('owner_familienzentrum', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='certification.familienzentrum', verbose_name='gehört Familienzentrum')),
                        ('owner_partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='certification.kooperationspartner', verbose_name='gehört Kooperationspartner')),
                        ('sites', models.ManyToManyField(blank=True, related_name='+', to='certification.einrichtung', verbose_name='betrifft Standorte')),
                    ],
                    options={
                        'db_table': 'assessments_evidence',
                        'verbose_name': 'Nachweis',
                        'verbose_name_plural': 'Nachweise',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='EvidenceGrant',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('granted_at', models.DateTimeField(auto_now_add=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('evidence', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grants', to='evidence.evidence')),
                        ('familienzentrum', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence_grants', to='certification.familienzentrum')),
                        ('granted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'assessments_evidencegrant',
                        'verbose_name': 'Freigabe',
                        'verbose_name_plural': 'Freigaben',
                    },
                ),
                migrations.CreateModel(
                    name='EvidenceGrantLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('granted', 'freigegeben'), ('revoked', 'Freigabe entzogen')], max_length=10)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('evidence', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grant_log', to='evidence.evidence')),
                        ('familienzentrum', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='certification.familienzentrum')),
                    ],
                    options={
                        'db_table': 'assessments_evidencegrantlog',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='EvidenceRevision',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField(verbose_name='Fassung')),
                        ('storage_key', models.CharField(max_length=80, unique=True)),
                        ('file', models.FileField(max_length=200, upload_to=evidence.models.evidence_upload_path, verbose_name='Datei')),
                        ('original_name', models.CharField(max_length=200, verbose_name='Dateiname')),
                        ('content_type', models.CharField(max_length=100, verbose_name='Dateityp')),
                        ('size', models.PositiveBigIntegerField(verbose_name='Größe (Bytes)')),
                        ('sha256', models.CharField(db_index=True, max_length=64, verbose_name='SHA-256')),
                        ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='hochgeladen am')),
                        ('evidence', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='revisions', to='evidence.evidence')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'assessments_evidencerevision',
                        'verbose_name': 'Fassung eines Nachweises',
                        'verbose_name_plural': 'Fassungen von Nachweisen',
                        'ordering': ['evidence', '-number'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='evidence',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('owner_familienzentrum__isnull', False), ('owner_partner__isnull', True)), models.Q(('owner_familienzentrum__isnull', True), ('owner_partner__isnull', False)), _connector='OR'), name='evidence_has_one_owner'),
                ),
                migrations.AddConstraint(
                    model_name='evidencegrant',
                    constraint=models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True)), fields=('evidence', 'familienzentrum'), name='one_active_grant'),
                ),
                migrations.AddConstraint(
                    model_name='evidencerevision',
                    constraint=models.UniqueConstraint(fields=('evidence', 'number'), name='revision_number_unique'),
                ),
            ],
        ),
    ]
