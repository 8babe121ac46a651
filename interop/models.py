from django.db import models


class ExecutorBeat(models.Model):
    """An executor (a server process in embedded mode, or a ``manage.py worker``) that is alive:
    its capacity and load, renewed every ``EXECUTOR_HEARTBEAT_SECONDS`` (for /metrics)."""

    worker_id = models.CharField(max_length=128, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(default=0)
    concurrency = models.PositiveIntegerField(default=0)
    running = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.worker_id
