"""Threads' event-log heads move to ``streaming.EventLog`` (the log owns its positions)."""
from django.db import migrations


def open_logs(apps, schema_editor):
    Thread = apps.get_model("threads", "Thread")
    EventLog = apps.get_model("streaming", "EventLog")
    rows = Thread.objects.values_list("thread_id", "event_seq").iterator(chunk_size=2000)
    batch = []
    for thread_id, head in rows:
        batch.append(EventLog(thread_id=thread_id, head=head))
        if len(batch) >= 2000:
            EventLog.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    EventLog.objects.bulk_create(batch, ignore_conflicts=True)


def restore_heads(apps, schema_editor):
    Thread = apps.get_model("threads", "Thread")
    EventLog = apps.get_model("streaming", "EventLog")
    for log in EventLog.objects.all().iterator(chunk_size=2000):
        Thread.objects.filter(pk=log.thread_id).update(event_seq=log.head)


class Migration(migrations.Migration):

    dependencies = [
        ("threads", "0003_alter_thread_created_at_and_more"),
        ("streaming", "0002_eventlog_plain_ids"),
    ]

    operations = [
        migrations.RunPython(open_logs, restore_heads),
        migrations.RemoveField(model_name="thread", name="event_seq"),
    ]
