"""Following the event log from sync code (the ``run`` and ``tail`` commands): poll the database.

The same reads as the SSE streams (``streaming.selectors``, ``runs.selectors``), so the shell shows exactly what a client
gets. A run is followed until it is over (its status is read before its events, so once it is final
every event has been read); a thread until ``should_stop()`` says so.
"""
import time

from runs import selectors as run_selectors
from streaming import selectors


def follow_run(*, run_id, after=0, on_rows, on_idle=None, interval=0.05, follow=True, timeout=None):
    """Call ``on_rows(status, rows)`` with the run's EventRows after ``after``.

    Returns (final status or None when the run does not exist, last seq). With ``follow=False`` it
    reads what exists and returns the current status. ``on_idle(status, last)`` is called between
    polls; ``timeout`` (seconds) returns with the run still active."""
    last = after
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        status = run_selectors.run_status(run_id=run_id)  # first: once final, the rows are complete
        rows = selectors.read_run_events(run_id=run_id, after=last)
        if rows:
            on_rows(status, rows)
            last = rows[-1][0]
        if len(rows) >= selectors.READ_LIMIT:
            continue
        if not follow or run_selectors.is_over(status):
            return status, last
        if deadline is not None and time.monotonic() >= deadline:
            return status, last
        if on_idle is not None:
            on_idle(status, last)
        time.sleep(interval)


def follow_thread(*, thread_id, after=0, on_rows, should_stop=None, interval=0.2, follow=True):
    """Call ``on_rows(rows)`` with the thread's EventRows after ``after``.

    Returns the last thread_seq read; with ``follow`` it polls until ``should_stop()`` is true."""
    last = after
    while True:
        rows = selectors.read_thread_events(thread_id=thread_id, after=last)
        if rows:
            on_rows(rows)
            last = rows[-1].thread_seq
        if len(rows) >= selectors.READ_LIMIT:
            continue
        if not follow or (should_stop is not None and should_stop()):
            return last
        time.sleep(interval)
