"""Reads of the event log (called through agentserver.db.db from consumers)."""
from streaming.models import ROW_FIELDS, Event, EventLog, EventRow

READ_LIMIT = 2000


def read_run_events(*, run_id, after, limit=READ_LIMIT):
    """The run's EventRows after position ``after``, in order."""
    return [EventRow._make(row) for row in Event.objects.for_run(run_id, after=after).values_list(*ROW_FIELDS)[:limit]]


def last_run_seq(*, run_id):
    return Event.objects.filter(run_id=run_id).order_by("-seq").values_list("seq", flat=True).first() or 0


def read_thread_events(*, thread_id, after, limit=READ_LIMIT):
    """The thread's EventRows after thread position ``after``, in order."""
    return [EventRow._make(row) for row in Event.objects.for_thread(thread_id, after=after).values_list(*ROW_FIELDS)[:limit]]


def log_head(*, thread_id):
    """The last position of the thread's log, or None when the thread has no log (does not exist)."""
    return EventLog.objects.filter(pk=thread_id).values_list("head", flat=True).first()
