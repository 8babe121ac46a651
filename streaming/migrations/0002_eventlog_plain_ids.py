"""The event log owns its head (``EventLog``) and refers to threads and runs by plain ids.

The columns ``thread_id`` / ``run_id`` keep their names and types (they were relations without
database constraints), so the Event table is changed in Django's state only."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("streaming", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventLog",
            fields=[
                ("thread_id", models.UUIDField(primary_key=True, serialize=False)),
                ("head", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="event", name="uniq_event_run_seq"),
                migrations.RemoveConstraint(model_name="event", name="uniq_event_thread_seq"),
                migrations.RemoveField(model_name="event", name="run"),
                migrations.RemoveField(model_name="event", name="thread"),
                migrations.AddField(model_name="event", name="thread_id", field=models.UUIDField(db_index=True), preserve_default=False),
                migrations.AddField(model_name="event", name="run_id", field=models.UUIDField(blank=True, db_index=True, null=True)),
                migrations.AddConstraint(model_name="event", constraint=models.UniqueConstraint(fields=("run_id", "seq"), name="uniq_event_run_seq")),
                migrations.AddConstraint(model_name="event", constraint=models.UniqueConstraint(fields=("thread_id", "thread_seq"), name="uniq_event_thread_seq")),
            ],
            database_operations=[],
        ),
    ]
