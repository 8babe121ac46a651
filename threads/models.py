from django.db import models
from django.utils import timezone

from agentserver import sql
from agentserver.ids import uuid7
from agentserver.jsonfilters import access_q, json_contains


class ThreadStatus(models.TextChoices):
    IDLE = "idle"
    BUSY = "busy"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class ThreadQuerySet(models.QuerySet):
    def create_now(self, **fields):
        """Create a thread whose created_at, updated_at and state_updated_at are the same instant,
        with its event log (one compiled INSERT each: every run's thread is made here; what the
        ``post_save`` signal of ``threads.signals`` does for ``save()`` is done here)."""
        from streaming.services import open_logs

        now = timezone.now()
        row = sql.insert(Thread, {"created_at": now, "updated_at": now, "state_updated_at": now, **fields})
        open_logs(thread_ids=[row["thread_id"]])
        return Thread.from_db(self.db, tuple(row), tuple(row.values()))

    def metadata_contains(self, metadata):
        return self.filter(*json_contains("metadata", metadata)) if metadata else self

    def values_contain(self, values):
        return self.filter(*json_contains("values", values)) if values else self

    def with_status(self, status):
        return self.filter(status=status) if status else self

    def visible(self, filters):
        """The threads an authorization filter (``agentserver.api.access``) lets through."""
        return self.filter(access_q("metadata", filters)) if filters else self

    # The thread side of the run lifecycle (runs.lifecycle): ``active_run_id`` is compare-and-set,
    # with compiled statements (``agentserver.sql``; called on the manager, ``Thread.objects``).

    def acquire(self, thread_id, *, run_id) -> bool:
        """Make ``run_id`` the thread's one active run (and the thread busy) if it has none."""
        return bool(sql.update(Thread, where={"thread_id": thread_id, "active_run_id": None}, values={
            "active_run_id": run_id, "status": ThreadStatus.BUSY, "updated_at": timezone.now()}))

    def release(self, thread_id, *, run_id, **fields) -> int:
        """Free the thread if ``run_id`` still holds it, writing ``fields`` with it (status, error,
        the mirror of the run's outcome). Without ``status`` the thread stays busy: its run is pending."""
        return sql.update(Thread, where={"thread_id": thread_id, "active_run_id": run_id},
                          values={"active_run_id": None, **fields})

    def mirror_state(self, thread_id, mirror: dict) -> int:
        """Write the mirror of the latest checkpoint (``threads.snapshots.thread_mirror``) on a
        thread that no run holds; clears the error."""
        now = timezone.now()
        return self.filter(pk=thread_id).exclude(status=ThreadStatus.BUSY).update(
            **mirror, error=None, state_updated_at=now, updated_at=now)


class Thread(models.Model):
    """A conversation: the state of its graph lives in the checkpointer; ``values``/``interrupts``
    mirror the latest checkpoint so that reads need no checkpointer round trip."""

    thread_id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Explicit defaults (not auto_now) so that a new thread has created_at == updated_at ==
    # state_updated_at in one INSERT; writers set updated_at themselves.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    state_updated_at = models.DateTimeField(default=timezone.now)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ThreadStatus.choices, default=ThreadStatus.IDLE, db_index=True)
    config = models.JSONField(default=dict, blank=True)
    values = models.JSONField(null=True, blank=True)
    interrupts = models.JSONField(default=dict, blank=True)
    error = models.JSONField(null=True, blank=True)
    # Stateless runs get a temporary thread, deleted after the run unless on_completion=keep.
    temporary = models.BooleanField(default=False)
    # The run holding the thread (one run executes per thread at a time); claimed atomically.
    active_run_id = models.UUIDField(null=True, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["temporary", "updated_at"], name="thread_temporary_updated")]

    def __str__(self):
        return str(self.thread_id)
