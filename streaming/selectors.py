"""Reads of the event log (called through agentserver.db.db from consumers)."""
from streaming.models import Event, EventLog

READ_LIMIT = 2000


def read_run_events(*, run_id, after, limit=READ_LIMIT):
    """Rows (seq, event, data) of the run after ``after``, in order."""
    return list(Event.objects.for_run(run_id, after=after).values_list("seq", "event", "data")[:limit])


def last_run_seq(*, run_id):
    return Event.objects.filter(run_id=run_id).order_by("-seq").values_list("seq", flat=True).first() or 0


def read_thread_events(*, thread_id, after, limit=READ_LIMIT):
    """Rows (thread_seq, seq, event, data); seq is None for thread-level frames."""
    return list(Event.objects.for_thread(thread_id, after=after).values_list("thread_seq", "seq", "event", "data")[:limit])


def log_head(*, thread_id):
    """The last position of the thread's log, or None when the thread has no log (does not exist)."""
    return EventLog.objects.filter(pk=thread_id).values_list("head", flat=True).first()
