"""Runs. Every status change of a run is a compare-and-set method of ``RunQuerySet`` (an ``UPDATE ...
WHERE status = ...`` that says whether it won); ``runs.lifecycle`` combines them with the thread side
(``threads.models.ThreadQuerySet``) and documents the state machine."""
from datetime import datetime

from django.db import models
from django.utils import timezone

from agentserver import sql
from agentserver.ids import uuid7
from agentserver.jsonfilters import access_q


class RunStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    # Part of the LangGraph API (accepted in filters, counted as finished), but this server has no
    # run-level timeout: nothing sets it. A run that must not run forever is cancelled (interrupted).
    TIMEOUT = "timeout"


ACTIVE_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING)
FINISHED_STATUSES = (RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.INTERRUPTED, RunStatus.TIMEOUT)


# A cancel by status (API, manage.py cancel_runs) takes either active status, or "all" of them.
CANCEL_ALL = "all"
CANCEL_STATUSES = (RunStatus.PENDING.value, RunStatus.RUNNING.value, CANCEL_ALL)


class CancelAction(models.TextChoices):
    """Why a running run's executor is told to stop (``Run.cancel_action``)."""

    INTERRUPT = "interrupt"
    ROLLBACK = "rollback"


class RunQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=RunStatus.PENDING)

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def finished(self):
        return self.filter(status__in=FINISHED_STATUSES)

    def for_thread(self, thread_id):
        return self.filter(thread_id=thread_id)

    def visible(self, filters):
        """The runs whose thread an authorization filter (``agentserver.api.access``) lets through."""
        return self.filter(access_q("thread__metadata", filters)) if filters else self

    # The transitions: each one UPDATE (or DELETE) that only touches rows still in the source state.
    # The hot ones (claim, finish) are compiled statements (``agentserver.sql``): called on the
    # manager (``Run.objects``), they do not narrow a queryset's filter.

    def claim(self, run_id, *, worker_id: str, lease_until: datetime, first_attempt: bool = False) -> bool:
        """pending -> running (a new attempt) once ``available_at`` has come; ``first_attempt``: only
        if it never ran (a run handed over by its creator, which knows its attempt is 1)."""
        now = timezone.now()
        where = {"run_id": run_id, "status": RunStatus.PENDING, "available_at__lte": now}
        if first_attempt:
            where["attempt"] = 0
        return bool(sql.update(Run, where=where, add={"attempt": 1}, values={
            "status": RunStatus.RUNNING, "worker_id": worker_id, "lease_expires_at": lease_until,
            "started_at": now, "updated_at": now,
        }))

    def renew_leases(self, run_ids, *, worker_id: str, lease_until: datetime) -> int:
        """Extend the lease of the running runs ``worker_id`` holds (not a transition)."""
        return self.filter(run_id__in=run_ids, worker_id=worker_id, status=RunStatus.RUNNING).update(
            lease_expires_at=lease_until)

    def finish(self, run_id, *, status: RunStatus, error: dict | None, output) -> bool:
        """running -> success | error | interrupted, with the run's error and output."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"a run cannot finish as {status!r}")
        now = timezone.now()
        return bool(sql.update(Run, where={"run_id": run_id, "status": RunStatus.RUNNING}, values={
            "status": status, "error": error, "output": output, "ended_at": now, "updated_at": now,
            "lease_expires_at": None,
        }))

    def hand_back(self, run_id, *, worker_id: str) -> bool:
        """running -> pending: ``worker_id`` stops without finishing the run (graceful shutdown)."""
        return bool(self.filter(pk=run_id, worker_id=worker_id, status=RunStatus.RUNNING).update(
            status=RunStatus.PENDING, worker_id="", lease_expires_at=None,
        ))

    def lease_expired(self, now: datetime):
        """Running runs whose worker stopped renewing their lease."""
        return self.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now)

    def expire(self, run_id, *, now: datetime, retry: bool, error: dict | None = None) -> bool:
        """running with an expired lease -> pending (``retry``: available at once) or error."""
        fields = {"worker_id": "", "lease_expires_at": None, "updated_at": now}
        if retry:
            fields.update(status=RunStatus.PENDING, available_at=now)
        else:
            fields.update(status=RunStatus.ERROR, ended_at=now, error=error)
        return bool(self.lease_expired(now).filter(pk=run_id).update(**fields))

    def interrupt_pending(self, run_ids) -> int:
        """pending -> interrupted: a cancelled run that never started."""
        now = timezone.now()
        return self.filter(run_id__in=run_ids, status=RunStatus.PENDING).update(
            status=RunStatus.INTERRUPTED, ended_at=now, updated_at=now)

    def delete_pending(self, run_ids) -> int:
        """pending -> (deleted): a run rolled back before it started."""
        deleted, _ = self.filter(run_id__in=run_ids, status=RunStatus.PENDING).delete()
        return deleted

    def request_cancel(self, run_ids, *, action: CancelAction) -> int:
        """Flag running runs for their executor (``cancel_action``); the status stays running."""
        return self.filter(run_id__in=run_ids, status=RunStatus.RUNNING).update(
            cancel_action=action, updated_at=timezone.now())

    def roll_back(self, run_id) -> int:
        """running -> (deleted): the executor undid a run whose rollback was requested."""
        deleted, _ = self.filter(pk=run_id).delete()
        return deleted


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
    # Set by a cancel request (CancelAction); the executor honours it.
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
