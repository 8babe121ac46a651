"""Writes of the event log (the durable source of truth for every stream)."""
from django.db import connection, transaction
from django.utils import timezone

from agentserver import serde, sql
from streaming import notify
from streaming.models import Event, EventLog, EventRow


def open_logs(*, thread_ids):
    """Open an empty log for each new thread (call in the transaction that creates the threads)."""
    for thread_id in thread_ids:
        sql.insert(EventLog, {"thread_id": thread_id, "head": 0})


def close_logs(*, thread_ids):
    """Delete the threads' logs and all their events; later writes to them store nothing."""
    thread_ids = list(thread_ids)
    EventLog.objects.filter(thread_id__in=thread_ids).delete()
    return Event.objects.filter(thread_id__in=thread_ids).delete()[0]


def _allocate(thread_id, count):
    """Reserve ``count`` positions of the thread's log in one ``UPDATE ... RETURNING``: the row lock
    it takes orders concurrent writers. Raises EventLog.DoesNotExist when the log is closed."""
    ops = connection.ops
    table, column, key = (ops.quote_name(name) for name in (EventLog._meta.db_table, "head", "thread_id"))
    pk = EventLog._meta.pk.get_db_prep_value(thread_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {column} + %s WHERE {key} = %s RETURNING {column}", [count, pk])
        row = cursor.fetchone()
    if row is None:
        raise EventLog.DoesNotExist(thread_id)
    return row[0] - count + 1


def store_run_events(*, thread_id, run_id, first_seq, frames):
    """Store ``frames`` [(event, data_json_text), ...] as run seq first_seq.. (no notification).

    Returns the stored rows (EventRow)."""
    with transaction.atomic(savepoint=False):  # nested (a claim, a run's end): part of that transaction
        try:
            start = _allocate(thread_id, len(frames))
        except EventLog.DoesNotExist:
            return []
        rows = [EventRow(first_seq + i, start + i, name, data) for i, (name, data) in enumerate(frames)]
        _insert_rows(thread_id=thread_id, run_id=run_id, rows=rows)
    return rows


def stored_run_events(*, run_id, first_seq, count):
    """The rows [(seq, thread_seq, event, data)] of run seq first_seq.. when all ``count`` are stored
    (a write whose answer was lost), else [] (none is: a write rolls back as a whole)."""
    rows = list(Event.objects.filter(run_id=run_id, seq__gte=first_seq, seq__lt=first_seq + count)
                .order_by("seq").values_list("seq", "thread_seq", "event", "data"))
    return rows if len(rows) == count else []


def _insert_rows(*, thread_id, run_id, rows):
    """One multi-row INSERT without building model instances (the hot path of every stream).

    Column values are adapted by the backend exactly as the ORM would (UUIDs, the timestamp)."""
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in ("thread_id", "run_id", "seq", "thread_seq", "event", "data", "created_at"))
    thread_value = Event._meta.get_field("thread_id").get_db_prep_value(thread_id, connection)
    run_value = Event._meta.get_field("run_id").get_db_prep_value(run_id, connection)
    now = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), 100):
            batch = rows[offset : offset + 100]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            params = [value for seq, thread_seq, name, data in batch
                      for value in (thread_value, run_value, seq, thread_seq, name, data, now)]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", params)


def append_thread_event(*, thread_id, event, data, run_id=None):
    """Store one thread-level frame (``state_update``, a run's ``run_done``) and notify listeners."""
    text = data if isinstance(data, str) else serde.dumps_str(data)
    with transaction.atomic(savepoint=False):  # nested (a claim, a run's end): part of that transaction
        start = _allocate(thread_id, 1)
        row = EventRow(None, start, event, text)
        _insert_rows(thread_id=thread_id, run_id=None, rows=[row])
        # Listeners are woken once the row is visible (at once when no outer transaction is open).
        transaction.on_commit(
            lambda: notify.events_stored(thread_id=thread_id, run_id=None, rows=[row])
        )
    return start


def delete_events(*, thread_id=None, run_ids=None):
    qs = Event.objects.all()
    if thread_id is not None:
        qs = qs.filter(thread_id=thread_id)
    if run_ids is not None:
        qs = qs.filter(run_id__in=list(run_ids))
    return qs.delete()[0]
