"""Every thread has an event log (``streaming.EventLog``) for exactly as long as it exists.

Connected in ``ThreadsConfig.ready``, so that every way of creating or deleting a thread (services,
admin, tests, cascades) opens or closes its log in the same transaction."""
from django.db.models.signals import post_delete, post_save

from streaming.services import close_logs, open_logs


def _open_log(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        open_logs(thread_ids=[instance.pk])


def _close_log(sender, instance, **kwargs):
    close_logs(thread_ids=[instance.pk])


def connect():
    from threads.models import Thread

    post_save.connect(_open_log, sender=Thread, dispatch_uid="threads.open_log")
    post_delete.connect(_close_log, sender=Thread, dispatch_uid="threads.close_log")
