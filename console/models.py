"""One row per live agentserver process (an API server or a ``manage.py worker``), renewed by its
heartbeat (``console.heartbeat``) and deleted when it stops cleanly. A process that died keeps its
row until it is older than ``stale_after()`` seconds, when it no longer counts as live (and is removed
by the next heartbeat of any process)."""
from datetime import timedelta

from django.db import models
from django.utils import timezone

from agentserver.conf import agent_settings


def heartbeat_seconds():
    """How often each process renews its row (``AGENTSERVER_EXECUTOR_HEARTBEAT_SECONDS``)."""
    return agent_settings.EXECUTOR_HEARTBEAT_SECONDS


def stale_after():
    """A row not renewed for three heartbeats is no longer live."""
    return 3 * heartbeat_seconds()


class WorkerKind(models.TextChoices):
    SERVER = "server"
    WORKER = "worker"


class WorkerQuerySet(models.QuerySet):
    def live(self, now=None):
        return self.filter(last_seen__gte=(now or timezone.now()) - timedelta(seconds=stale_after()))

    def stale(self, now=None):
        return self.filter(last_seen__lt=(now or timezone.now()) - timedelta(seconds=stale_after()))

    def executing(self):
        return self.filter(executes=True)


class Worker(models.Model):
    worker_id = models.CharField(max_length=128, primary_key=True)
    kind = models.CharField(max_length=16, choices=WorkerKind.choices)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # Whether this process claims runs (an executor runs in it), and how many at once.
    executes = models.BooleanField(default=False)
    concurrency = models.PositiveIntegerField(default=0)
    running = models.PositiveIntegerField(default=0)
    # Open long-lived HTTP responses (SSE streams, /wait, /join) of this process.
    streams = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["host", "pid"]

    def __str__(self):
        return self.worker_id

    @property
    def is_live(self):
        return self.last_seen >= timezone.now() - timedelta(seconds=stale_after())


class Dashboard(Worker):
    """The console's dashboard page in the admin (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"
