# The assessment events' own outbox (notified_at, swept by
# assessments.resend_notifications) is replaced by the one message road:
# notifications.Notification rows written in the transaction of the event.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0004_evidence_moved_to_its_app'),
    ]

    operations = [
        migrations.RemoveField(model_name='assessmentevent', name='notified_at'),
    ]
