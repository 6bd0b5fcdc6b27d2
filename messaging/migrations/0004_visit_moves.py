import re

from django.db import migrations, models


def invites_from_calendar(apps, schema_editor):
    """The single invite an outbox email kept as text becomes the first of its invites."""
    OutboxMessage = apps.get_model("messaging", "OutboxMessage")
    for message in OutboxMessage.objects.exclude(calendar=""):
        method = re.search(r"^METHOD:(\w+)", message.calendar, re.M)
        message.invites = [{"method": method[1] if method else "REQUEST", "ical": message.calendar}]
        message.save(update_fields=["invites"])


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_visit_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="invites",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='The calendar invites an email carried: [{"method": "REQUEST", "ical": …}].',
            ),
        ),
        migrations.RunPython(invites_from_calendar, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="outboxmessage",
            name="calendar",
        ),
    ]
