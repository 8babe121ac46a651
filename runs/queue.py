"""The run queue in the database: claim, lease, finish, recover. Safe across processes.

A claim is two compare-and-set updates in one transaction: the thread's ``active_run_id`` (one
run per thread at a time) and the run's status (pending -> running). Both are plain
``UPDATE ... WHERE`` statements, which PostgreSQL and SQLite each apply atomically, so two
workers can never claim the same run or run two runs of one thread at once.
"""
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agentserver.conf import agent_settings
from runs.models import Run, RunStatus
from agentserver import serde
from streaming.services import append_thread_event, delete_events, store_run_events
from threads.models import Thread, ThreadStatus


@dataclass
class ClaimedRun:
    run_id: object
    thread_id: object
    assistant_id: object
    graph_id: str
    kwargs: dict
    metadata: dict
    attempt: int
    assistant_config: dict
    assistant_context: dict
    assistant_metadata: dict
    start_seq: int
    temporary: bool
    cancel_action: str = ""
    # The run's metadata frame, stored with the claim: [(seq, thread_seq, event, data)].
    metadata_rows: list = None


def _lease_until():
    return timezone.now() + timedelta(seconds=agent_settings.LEASE_SECONDS)


def _try_claim(run_id, thread_id, worker_id, *, loaded=None):
    """Claim one run; in the same transaction store its ``metadata`` frame. Returns ClaimedRun or None.

    ``loaded``: the ClaimedRun of a run this process just created (no need to read it back)."""
    with transaction.atomic():
        got_thread = Thread.objects.filter(pk=thread_id, active_run_id__isnull=True).update(
            active_run_id=run_id, status=ThreadStatus.BUSY, updated_at=timezone.now()
        )
        if not got_thread:
            return None
        now = timezone.now()
        first_attempt = {"attempt": 0} if loaded is not None else {}
        got_run = Run.objects.filter(pk=run_id, status=RunStatus.PENDING, available_at__lte=now, **first_attempt).update(
            status=RunStatus.RUNNING, worker_id=worker_id, lease_expires_at=_lease_until(),
            started_at=now, updated_at=now, attempt=F("attempt") + 1,
        )
        if not got_run:
            transaction.set_rollback(True)
            return None
        claimed = loaded or load_claimed(run_id)
        claimed.metadata_rows = store_run_events(
            thread_id=thread_id, run_id=run_id, first_seq=claimed.start_seq + 1,
            frames=[("metadata", serde.dumps_str({"run_id": str(run_id), "attempt": claimed.attempt}))],
        )
        claimed.start_seq += 1
    return claimed


def claim_runs(*, worker_id, limit, run_ids=None, created=(), scan=True):
    """Claim up to ``limit`` runs, oldest first, at most one per thread.

    ``created``: ClaimedRuns of runs this process just created on an otherwise idle thread (see
    ``claimed_from_created``), claimed directly, without a scan. The scan of pending runs (among
    ``run_ids`` if given) runs when ``scan`` is true or when one of them could not be claimed."""
    claimed = []
    for loaded in created[:limit]:
        run = _try_claim(loaded.run_id, loaded.thread_id, worker_id, loaded=loaded)
        if run is None:
            scan = True
        else:
            claimed.append(run)
    if scan or len(created) > limit:
        claimed += scan_runs(worker_id=worker_id, limit=limit - len(claimed), run_ids=run_ids)
    return claimed


def scan_runs(*, worker_id, limit, run_ids=None):
    """Claim up to ``limit`` pending runs (among ``run_ids`` if given), oldest first, one per thread."""
    if limit <= 0:
        return []
    candidates = Run.objects.pending().filter(available_at__lte=timezone.now(), thread__active_run_id__isnull=True)
    if run_ids is not None:
        candidates = candidates.filter(run_id__in=list(run_ids))
    candidates = candidates.order_by("created_at").values_list("run_id", "thread_id")[: limit * 4]
    claimed, seen_threads = [], set()
    for run_id, thread_id in candidates:
        if thread_id in seen_threads:
            continue
        seen_threads.add(thread_id)
        run = _try_claim(run_id, thread_id, worker_id)
        if run is not None:
            claimed.append(run)
            if len(claimed) >= limit:
                break
    return claimed


def claimed_from_created(*, run, assistant):
    """The ClaimedRun of a run just created by ``create_run`` (its first attempt), without a query.

    kwargs and metadata are copied through JSON, as a read from the database would give them."""
    return ClaimedRun(
        run_id=run.run_id, thread_id=run.thread_id, assistant_id=run.assistant_id, graph_id=run.graph_id,
        kwargs=orjson.loads(orjson.dumps(run.kwargs)), metadata=orjson.loads(orjson.dumps(run.metadata)),
        attempt=1, assistant_config=assistant.config, assistant_context=assistant.context,
        assistant_metadata=assistant.metadata, start_seq=0, temporary=run.thread.temporary,
    )


def load_claimed(run_id):
    from assistants.models import Assistant
    from streaming.models import Event

    run = Run.objects.select_related("thread").filter(pk=run_id).first()
    if run is None:
        return None
    assistant = Assistant.objects.filter(pk=run.assistant_id).first()
    last_seq = 0
    if run.attempt > 1:  # a retry continues the run's event log
        last_seq = Event.objects.filter(run_id=run_id).order_by("-seq").values_list("seq", flat=True).first() or 0
    return ClaimedRun(
        run_id=run.run_id, thread_id=run.thread_id, assistant_id=run.assistant_id, graph_id=run.graph_id,
        kwargs=run.kwargs, metadata=run.metadata, attempt=run.attempt,
        assistant_config=assistant.config if assistant else {},
        assistant_context=assistant.context if assistant else {},
        assistant_metadata=assistant.metadata if assistant else {},
        start_seq=last_seq, temporary=run.thread.temporary, cancel_action=run.cancel_action,
    )


def renew_leases(*, worker_id, run_ids):
    """Extend the lease of runs this worker holds; return {run_id: cancel_action} for flagged ones."""
    if not run_ids:
        return {}
    Run.objects.filter(run_id__in=run_ids, worker_id=worker_id, status=RunStatus.RUNNING).update(
        lease_expires_at=_lease_until()
    )
    flagged = Run.objects.filter(run_id__in=run_ids).exclude(cancel_action="")
    return {run_id: action for run_id, action in flagged.values_list("run_id", "cancel_action")}


def cancel_action_of(run_id):
    return Run.objects.filter(pk=run_id).values_list("cancel_action", flat=True).first() or ""


def finish_run(*, run_id, thread_id, status, error=None, output=None, thread_values=None,
               thread_interrupts=None, thread_status=None):
    """Record a run's end, release its thread, and append ``run_done`` to the thread's log."""
    now = timezone.now()
    with transaction.atomic():
        Run.objects.filter(pk=run_id).update(
            status=status, error=error, output=output, ended_at=now, updated_at=now, lease_expires_at=None
        )
        fields = {"active_run_id": None, "updated_at": now, "status": thread_status or ThreadStatus.IDLE}
        if thread_values is not None:
            fields.update(values=thread_values, interrupts=thread_interrupts or {}, state_updated_at=now)
        fields["error"] = error
        Thread.objects.filter(pk=thread_id, active_run_id=run_id).update(**fields)
        append_thread_event(thread_id=thread_id, event="metadata",
                            data={"status": "run_done", "run_id": str(run_id)}, run_id=run_id)


def rollback_run(*, run_id, thread_id):
    """A rolled-back run disappears: its row, its events; the thread is released and idle."""
    with transaction.atomic():
        Run.objects.filter(pk=run_id).delete()
        delete_events(run_ids=[run_id])
        Thread.objects.filter(pk=thread_id, active_run_id=run_id).update(
            active_run_id=None, status=ThreadStatus.IDLE, updated_at=timezone.now(),
            error={"error": "UserRollback", "message": "rollback requested"},
        )


def hand_back(*, run_ids, worker_id):
    """Graceful shutdown: runs this worker could not finish go back to pending."""
    with transaction.atomic():
        runs = list(Run.objects.filter(run_id__in=run_ids, worker_id=worker_id, status=RunStatus.RUNNING)
                    .values_list("run_id", "thread_id"))
        for run_id, thread_id in runs:
            Run.objects.filter(pk=run_id).update(status=RunStatus.PENDING, worker_id="", lease_expires_at=None)
            Thread.objects.filter(pk=thread_id, active_run_id=run_id).update(active_run_id=None)
    return [run_id for run_id, _ in runs]


def recover_expired(*, worker_id):
    """Runs whose worker stopped renewing its lease: retry them (new attempt) or fail them.

    Returns (retried_ids, failed_ids)."""
    now = timezone.now()
    retried, failed = [], []
    expired = Run.objects.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now).values_list(
        "run_id", "thread_id", "attempt", "worker_id")
    for run_id, thread_id, attempt, owner in expired:
        with transaction.atomic():
            retry = agent_settings.ON_WORKER_CRASH == "retry" and attempt < agent_settings.MAX_ATTEMPTS
            fields = {"worker_id": "", "lease_expires_at": None, "updated_at": now}
            if retry:
                fields.update(status=RunStatus.PENDING, available_at=now)
            else:
                fields.update(status=RunStatus.ERROR, ended_at=now, error={
                    "error": "WorkerLost", "message": f"worker {owner or '?'} stopped during attempt {attempt}"})
            if not Run.objects.filter(pk=run_id, status=RunStatus.RUNNING, lease_expires_at__lt=now).update(**fields):
                continue
            thread_fields = {"active_run_id": None}
            if not retry:
                thread_fields.update(status=ThreadStatus.ERROR, error=fields["error"])
            Thread.objects.filter(pk=thread_id, active_run_id=run_id).update(**thread_fields)
        (retried if retry else failed).append((run_id, thread_id))
    for run_id, thread_id in failed:
        append_thread_event(thread_id=thread_id, event="metadata",
                            data={"status": "run_done", "run_id": str(run_id)}, run_id=run_id)
    return retried, failed


def settle_temporary_thread(*, run_id, thread_id, detach=False):
    """Delete a stateless run's thread once the run is over and nobody streams it any more.

    The executor calls this when the run ends; a stream/wait consumer that was attached calls it
    (``detach=True``) when it is done. Returns True when the thread was deleted."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not run.kwargs.get("temporary") or run.kwargs.get("on_completion") == "keep":
            return False
        if detach and run.kwargs.get("attached"):
            run.kwargs = {**run.kwargs, "attached": False}
            run.save(update_fields=["kwargs"])
        if run.kwargs.get("attached") or run.status in (RunStatus.PENDING, RunStatus.RUNNING):
            return False
        Thread.objects.filter(pk=thread_id, temporary=True).delete()
        # (the thread's event log goes with it: threads.signals)
    return True
