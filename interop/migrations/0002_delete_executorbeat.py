"""Executors are recorded by the console app (``console.Worker``), one heartbeat per process."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("interop", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="ExecutorBeat"),
    ]
