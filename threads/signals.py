"""Signals of the threads app.

Every thread has an event log (``streaming.EventLog``) for exactly as long as it exists: ``connect()``
(from ``ThreadsConfig.ready``) hooks every way of creating or deleting a thread (services, admin,
tests, cascades) so that it opens or closes its log in the same transaction.

``thread_ttl_requested(sender, thread_id, ttl)``: a thread was created or patched with a ``ttl`` body
(``{"strategy": "delete"|"keep_latest", "ttl": minutes}``, already validated), for apps above threads
(retention) to act on without threads importing them.
"""
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from streaming.services import close_logs, open_logs

thread_ttl_requested = Signal()


def _open_log(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        open_logs(thread_ids=[instance.pk])


def _close_log(sender, instance, **kwargs):
    close_logs(thread_ids=[instance.pk])


def connect():
    from threads.models import Thread

    post_save.connect(_open_log, sender=Thread, dispatch_uid="threads.open_log")
    post_delete.connect(_close_log, sender=Thread, dispatch_uid="threads.close_log")
