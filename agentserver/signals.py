"""Signals that let higher apps hook into process start-up without lower apps importing them.

``executor_started(sender, executor)``: sent (from sync code) once this process's run executor runs,
by the server's start-up (embedded executor) and by ``manage.py worker``. The schedulers and sweepers
of the crons, retention and store apps start on it.
"""
from django.dispatch import Signal

executor_started = Signal()
