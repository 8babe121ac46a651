"""Reads of the event log for streams (called through agentserver.db.db from consumers)."""
from runs.models import FINISHED_STATUSES, Run
from streaming.models import Event
from threads.models import Thread

READ_LIMIT = 2000


def run_status(*, run_id):
    """The run's status, or None when the run does not exist (deleted counts as over)."""
    return Run.objects.filter(pk=run_id).values_list("status", flat=True).first()


def is_over(status):
    return status is None or status in FINISHED_STATUSES


def read_run_events(*, run_id, after, limit=READ_LIMIT):
    """(status, rows) with the status read first: if it is final, rows include every event."""
    status = run_status(run_id=run_id)
    rows = list(Event.objects.for_run(run_id, after=after).values_list("seq", "event", "data")[:limit])
    return status, rows


def last_run_seq(*, run_id):
    return Event.objects.filter(run_id=run_id).order_by("-seq").values_list("seq", flat=True).first() or 0


def read_thread_events(*, thread_id, after, limit=READ_LIMIT):
    """Rows (thread_seq, seq, event, data); seq is None for thread-level frames."""
    return list(Event.objects.for_thread(thread_id, after=after).values_list("thread_seq", "seq", "event", "data")[:limit])


def thread_head(*, thread_id):
    """The thread's last event position, or None when the thread does not exist."""
    return Thread.objects.filter(pk=thread_id).values_list("event_seq", flat=True).first()


def run_for_stream(*, thread_id, run_id):
    """The run (by id, and on that thread when ``thread_id`` is given), or None."""
    qs = Run.objects.filter(pk=run_id)
    if thread_id is not None:
        qs = qs.filter(thread_id=thread_id)
    return qs.values("run_id", "thread_id", "status", "kwargs").first()


def run_output(*, run_id):
    return Run.objects.filter(pk=run_id).values_list("status", "output", flat=False).first()


def run_summary(*, run_id):
    """graph_id, status and output of a run (for protocol v2 lifecycle events), or None."""
    return Run.objects.filter(pk=run_id).values("graph_id", "status", "output").first()
