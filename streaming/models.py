from django.db import models


class EventQuerySet(models.QuerySet):
    def for_run(self, run_id, *, after=0):
        return self.filter(run_id=run_id, seq__gt=after).order_by("seq")

    def for_thread(self, thread_id, *, after=0):
        return self.filter(thread_id=thread_id, thread_seq__gt=after).order_by("thread_seq")


class Event(models.Model):
    """One SSE frame of a run (or of a thread, for ``state_update``), the durable source of truth.

    ``seq`` is dense and strictly increasing per run; ``thread_seq`` per thread. ``data`` holds the
    frame's JSON text exactly as it is sent, so replay costs no re-serialisation.
    """

    # No database constraints: a stateless run's temporary thread (and its run) may be deleted while a
    # stream is still reading the run's events; services delete events explicitly.
    thread = models.ForeignKey(
        "threads.Thread", on_delete=models.DO_NOTHING, db_constraint=False, related_name="events"
    )
    run = models.ForeignKey(
        "runs.Run", on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="events"
    )
    seq = models.PositiveIntegerField(null=True, blank=True)
    thread_seq = models.BigIntegerField()
    event = models.CharField(max_length=255)
    data = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["thread_seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="uniq_event_run_seq"),
            models.UniqueConstraint(fields=["thread", "thread_seq"], name="uniq_event_thread_seq"),
        ]

    def __str__(self):
        return f"{self.event} #{self.seq}"
