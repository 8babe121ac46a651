from django.db import models

from agentserver.ids import uuid7


class RunStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    TIMEOUT = "timeout"


FINISHED_STATUSES = (RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.INTERRUPTED, RunStatus.TIMEOUT)


class RunQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=RunStatus.PENDING)

    def active(self):
        return self.filter(status__in=(RunStatus.PENDING, RunStatus.RUNNING))

    def finished(self):
        return self.filter(status__in=FINISHED_STATUSES)

    def for_thread(self, thread_id):
        return self.filter(thread_id=thread_id)


class Run(models.Model):
    run_id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, related_name="runs")
    assistant_id = models.UUIDField(db_index=True)
    graph_id = models.CharField(max_length=255, db_index=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    metadata = models.JSONField(default=dict, blank=True)
    # The run-create body as the API reports it (input, command, config, context, stream_mode, ...).
    kwargs = models.JSONField(default=dict, blank=True)
    multitask_strategy = models.CharField(max_length=16, default="enqueue")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    available_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    # Execution bookkeeping (scaled mode): who runs it and until when its lease holds.
    worker_id = models.CharField(max_length=128, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set by a cancel request ("interrupt" | "rollback"); the executor honours it.
    cancel_action = models.CharField(max_length=16, blank=True, default="")
    error = models.JSONField(null=True, blank=True)
    # Final output for /wait and /join: the thread values, or {"__error__": ...}.
    output = models.JSONField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "available_at"], name="run_status_available"),
            models.Index(fields=["thread", "status"], name="run_thread_status"),
            models.Index(fields=["thread", "-created_at"], name="run_thread_created"),
            models.Index(fields=["status", "ended_at"], name="run_status_ended"),
        ]

    def __str__(self):
        return str(self.run_id)

    @property
    def stream_modes(self):
        return self.kwargs.get("stream_mode") or ["values"]
