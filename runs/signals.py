"""Signals of the runs app, for the apps above it (the operator console records executors).

Both are sent with ``asend`` from the executor's loop; receivers should be ``async def``.
"""
from django.dispatch import Signal

# An executor started in this process (``runs.executor.Executor.start``): ``executor``.
executor_started = Signal()
# It stopped (``Executor.shutdown``, after its runs finished or were handed back): ``executor``.
executor_stopped = Signal()
