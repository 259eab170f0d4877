"""Forget who recorded an outcome under a non-open rule in the activity log.

Until now `outcome.recorded` entries kept their actor even where the outcome itself
stored no author. An outcome with an author was recorded under the open rule; any
other (including one deleted since) loses the entry's actor.
"""

from django.db import migrations


def unattribute(apps, schema_editor):
    ActivityLog = apps.get_model("exchanges", "ActivityLog")
    Outcome = apps.get_model("dialogues", "Outcome")
    attributed = set(Outcome.objects.filter(author__isnull=False).values_list("pk", flat=True))
    entries = ActivityLog.objects.filter(verb="outcome.recorded", actor__isnull=False)
    hidden = [entry.pk for entry in entries.only("pk", "data").iterator()
              if entry.data.get("outcome") not in attributed]
    for start in range(0, len(hidden), 500):
        ActivityLog.objects.filter(pk__in=hidden[start:start + 500]).update(actor=None)


class Migration(migrations.Migration):

    dependencies = [
        ("dialogues", "0005_evaluation"),
        ("exchanges", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(unattribute, migrations.RunPython.noop),
    ]
