"""Signals of the threads app, for apps above it (retention) to act on without threads importing them.

``thread_ttl_requested(sender, thread_id, ttl)``: a thread was created or patched with a ``ttl`` body
(``{"strategy": "delete"|"keep_latest", "ttl": minutes}``, already validated).
"""
from django.dispatch import Signal

thread_ttl_requested = Signal()
