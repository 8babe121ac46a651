"""Writes of runs: create (with multitask strategies), cancel, delete."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from agentserver.api.exceptions import AlreadyExists, InvalidInput, NotFound
from agentserver.ids import uuid7
from assistants.selectors import resolve_assistant
from runs import queue, wakeups
from runs.models import Run, RunStatus
from streaming import notify
from streaming.services import delete_events
from threads.models import Thread, ThreadStatus

REJECT_DETAIL = "Thread is already running a task. Wait for it to finish or choose a different multitask strategy."
KWARG_KEYS = (
    "input", "command", "config", "context", "stream_mode", "interrupt_before", "interrupt_after",
    "webhook", "feedback_keys", "checkpoint", "checkpoint_id", "after_seconds", "on_disconnect",
    "on_completion", "durability", "checkpoint_during", "attached",
)


def _run_kwargs(*, payload, thread, temporary):
    kwargs = {key: payload.get(key) for key in KWARG_KEYS}
    kwargs["config"] = payload.get("config") or {}
    kwargs["context"] = payload.get("context") or {}
    kwargs["stream_mode"] = payload.get("stream_mode") or ["values"]
    kwargs["subgraphs"] = payload.get("stream_subgraphs", False)
    kwargs["resumable"] = payload.get("stream_resumable", False)
    kwargs["temporary"] = temporary
    if kwargs["durability"] is None:
        kwargs["durability"] = "async" if payload.get("checkpoint_during", True) is not False else "exit"
    return kwargs


def _thread_for_run(*, thread_id, if_not_exists, graph_id, assistant_id):
    """Lock and return the run's thread, creating it when asked (or a temporary one)."""
    meta = {"graph_id": graph_id, "assistant_id": str(assistant_id)}
    if thread_id is None:
        return Thread.objects.create_now(metadata=meta, temporary=True), True
    thread = Thread.objects.select_for_update().filter(pk=thread_id).first()
    if thread is None:
        if if_not_exists != "create":
            raise NotFound("Thread or assistant not found.")
        thread = Thread.objects.create_now(thread_id=thread_id, metadata=meta)
    elif thread.metadata.get("graph_id") != graph_id or thread.metadata.get("assistant_id") != str(assistant_id):
        thread.metadata = {**thread.metadata, **meta}
        thread.updated_at = timezone.now()
        thread.save(update_fields=["metadata", "updated_at"])
    return thread, False


def create_run(*, payload, thread_id=None, run_id=None):
    """Create a pending run on ``thread_id`` (or, stateless, on a new temporary thread); ``run_id``
    lets a stream subscribe to the run's events before the run exists.

    Applies the multitask strategy against the thread's active runs and wakes the executors."""
    assistant = resolve_assistant(assistant_id=payload["assistant_id"])
    strategy = payload.get("multitask_strategy") or "enqueue"
    after = payload.get("after_seconds") or 0
    with transaction.atomic():
        thread, temporary = _thread_for_run(
            thread_id=thread_id, if_not_exists=payload.get("if_not_exists"),
            graph_id=assistant.graph_id, assistant_id=assistant.assistant_id,
        )
        active = list(Run.objects.active().for_thread(thread.pk).values_list("run_id", flat=True))
        if active and strategy == "reject":
            raise AlreadyExists(REJECT_DETAIL)
        run_id = run_id or uuid7()
        metadata = {**(payload.get("metadata") or {})}
        run = Run.objects.create(
            run_id=run_id, thread=thread, assistant_id=assistant.assistant_id, graph_id=assistant.graph_id,
            metadata=metadata, kwargs=_run_kwargs(payload=payload, thread=thread, temporary=temporary),
            multitask_strategy=strategy, available_at=timezone.now() + timedelta(seconds=after),
        )
        if active and strategy in ("interrupt", "rollback"):
            _cancel_locked(run_ids=active, action=strategy)
    # A run that can start at once on an idle thread is handed to this process's executor as it is,
    # so that it is claimed without a scan or a read-back (the first event comes sooner).
    def handover():  # called only when this process has an executor
        if active or after > 0:
            return {}
        return {"created": queue.claimed_from_created(run=run, assistant=assistant)}

    transaction.on_commit(lambda: wakeups.workers({"type": "run.wakeup"}, local=handover))
    return run


def _cancel_locked(*, run_ids, action):
    """Inside a transaction: pending runs end at once, running ones are flagged for their executor."""
    now = timezone.now()
    pending = list(Run.objects.filter(run_id__in=run_ids, status=RunStatus.PENDING).values_list("run_id", "thread_id"))
    pending_ids = [run_id for run_id, _ in pending]
    if action == "rollback":
        Run.objects.filter(run_id__in=pending_ids, status=RunStatus.PENDING).delete()
        delete_events(run_ids=pending_ids)
    else:
        Run.objects.filter(run_id__in=pending_ids, status=RunStatus.PENDING).update(
            status=RunStatus.INTERRUPTED, ended_at=now, updated_at=now
        )
    running = list(Run.objects.filter(run_id__in=run_ids, status=RunStatus.RUNNING).values_list("run_id", flat=True))
    Run.objects.filter(run_id__in=running).update(cancel_action=action, updated_at=now)

    def _announce():
        for run_id in pending_ids:
            notify.run_finished(run_id=run_id, status="interrupted")
        for run_id in running:
            wakeups.workers({"type": "run.cancel", "run_id": str(run_id), "action": action})

    transaction.on_commit(_announce)
    return pending_ids + running


def cancel_runs(*, thread_id=None, run_ids=None, status=None, action="interrupt"):
    """Cancel active runs chosen by thread/ids or by status. Returns the ids cancelled.

    Raises NotFound when nothing matched (the reference's wording)."""
    if action not in ("interrupt", "rollback"):
        action = "interrupt"
    qs = Run.objects.active()
    if status is not None:
        if status != "all":
            qs = qs.filter(status=status)
    else:
        if thread_id is not None:
            qs = qs.filter(thread_id=thread_id)
        if run_ids is not None:
            qs = qs.filter(run_id__in=list(run_ids))
    with transaction.atomic():
        ids = list(qs.select_for_update().values_list("run_id", flat=True))
        if not ids:
            return []
        return _cancel_locked(run_ids=ids, action=action)


def cancel_run(*, thread_id, run_id, action="interrupt"):
    """Cancel one run; 404 when it does not exist or is no longer active."""
    if not Run.objects.filter(thread_id=thread_id, run_id=run_id).exists():
        raise NotFound("No runs found to cancel.")
    cancelled = cancel_runs(thread_id=thread_id, run_ids=[run_id], action=action)
    if not cancelled:
        raise NotFound(
            "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
            "and the runs haven't been deleted or completed."
        )
    return cancelled


def delete_run(*, thread_id, run_id):
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(thread_id=thread_id, run_id=run_id).first()
        if run is None:
            raise NotFound("Run not found")
        if run.status in (RunStatus.PENDING, RunStatus.RUNNING):
            raise InvalidInput("Cannot delete an active run; cancel it first.")
        run.delete()
        delete_events(run_ids=[run_id])


def release_thread_status(*, thread_id):
    """A thread whose active run vanished (rollback) goes back to idle."""
    Thread.objects.filter(pk=thread_id, active_run_id__isnull=True, status=ThreadStatus.BUSY).update(
        status=ThreadStatus.IDLE
    )


def wait_for_run(*, run_id, timeout=60.0, interval=0.05):
    """Block (sync views) until the run is no longer active, or timeout."""
    import time

    from runs.models import FINISHED_STATUSES

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
        if status is None or status in FINISHED_STATUSES:
            return status
        time.sleep(interval)
    return None
