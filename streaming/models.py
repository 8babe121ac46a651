from typing import NamedTuple

from django.db import models


class EventRow(NamedTuple):
    """One stored frame as every reader and writer of the log passes it (the in-process channel
    layer carries it as it is; Redis as a list in this order)."""

    seq: int | None  # position in the run; None for a thread-level frame (state_update, run_done)
    thread_seq: int  # position in the thread
    event: str  # the SSE event name ("values", "updates|sub:1", ...)
    data: str  # the frame's JSON text, exactly as sent

    @classmethod
    def from_message(cls, item):
        return item if type(item) is cls else cls._make(item)

ROW_FIELDS = ("seq", "thread_seq", "event", "data")


class EventQuerySet(models.QuerySet):
    def for_run(self, run_id, *, after=0):
        return self.filter(run_id=run_id, seq__gt=after).order_by("seq")

    def for_thread(self, thread_id, *, after=0):
        return self.filter(thread_id=thread_id, thread_seq__gt=after).order_by("thread_seq")


class EventLog(models.Model):
    """The head of one thread's event log: the last position (``Event.thread_seq``) allocated.

    A log is opened when its thread is created and closed (with its events) when the thread is
    deleted; writers allocate positions with one ``UPDATE ... RETURNING`` on this row, whose lock
    orders concurrent writers. No log, no thread: events of a deleted thread are never stored."""

    thread_id = models.UUIDField(primary_key=True)
    head = models.BigIntegerField(default=0)

    def __str__(self):
        return f"log {self.thread_id} @ {self.head}"


class Event(models.Model):
    """One SSE frame of a run (or of a thread, for ``state_update``), the durable source of truth.

    ``seq`` is dense and strictly increasing per run; ``thread_seq`` per thread. ``data`` holds the
    frame's JSON text exactly as it is sent, so replay costs no re-serialisation.
    """

    # Plain ids, no relations: the event log sits below threads and runs (it knows neither), and a
    # stateless run's temporary thread (and its run) may be deleted while a stream is still reading
    # the run's events; their services delete events explicitly.
    # No index of their own: the unique constraints below lead with them (one B-tree fewer each to
    # write for every event).
    thread_id = models.UUIDField()
    run_id = models.UUIDField(null=True, blank=True)
    seq = models.PositiveIntegerField(null=True, blank=True)
    thread_seq = models.BigIntegerField()
    event = models.CharField(max_length=255)
    data = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["thread_seq"]
        constraints = [
            models.UniqueConstraint(fields=["run_id", "seq"], name="uniq_event_run_seq"),
            models.UniqueConstraint(fields=["thread_id", "thread_seq"], name="uniq_event_thread_seq"),
        ]

    def __str__(self):
        return f"{self.event} #{self.seq}"
