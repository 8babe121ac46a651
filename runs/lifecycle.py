"""The run lifecycle: every status change of a run, with what it does to the run's thread.

::

                        create_run              cancel, interrupt [interrupt_pending]
                            |           +-------------------------------------------> INTERRUPTED
                            v           |   cancel, rollback [delete_pending]
       +----------------> PENDING ------+-------------------------------------------> (deleted)
       |                    |
       | hand_back          | claim [thread: acquire -> BUSY, active_run_id = run]
       | expire, retry      v
       +---------------- RUNNING --- finish -------------> SUCCESS | ERROR | INTERRUPTED
       (thread: release,    |  |                          (thread: release + mirror of the outcome)
        stays BUSY)         |  +--- expire, no retry ----> ERROR (thread: release -> ERROR)
                            +------ roll_back -----------> (deleted) (thread: release -> IDLE)

    [``RunQuerySet`` method] where it is not the label. The functions here: claim_run (claim_runs,
    scan_runs pick the runs), finish_run, rollback_run, hand_back, recover_expired (expire),
    request_cancel (cancel). Cancelling a running run only sets ``cancel_action``
    [request_cancel]; its executor stops the graph, then finishes the run as INTERRUPTED
    (interrupt) or rolls it back (rollback).
    TIMEOUT: accepted in filters and counted as finished, never set (no run-level timeout exists).

Each transition is a compare-and-set method of ``RunQuerySet`` (runs/models.py) or, for the
thread, ``ThreadQuerySet`` (``acquire``/``release``): a plain ``UPDATE ... WHERE`` in the source
state that PostgreSQL and SQLite each apply atomically, so two workers can never claim the same run
or run two runs of one thread at once. A claim is two of them in one transaction (the thread's
``active_run_id``, then the run's status); when the second loses, the first is rolled back.

A stateless run's temporary thread goes once the run is over and nobody streams it any more:
``settle_stateless_run``.
"""
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from agentserver import runtime, serde
from agentserver.conf import agent_settings
from agentserver.db import db
from runs import wakeups
from runs.claimed import ClaimedRun, load_claimed
from runs.models import ACTIVE_STATUSES, CancelAction, Run, RunStatus
from streaming import notify
from streaming.services import append_thread_event, delete_events, store_run_events
from threads.models import Thread, ThreadStatus

USER_INTERRUPT = {"error": "UserInterrupt", "message": "interrupt requested"}
USER_ROLLBACK = {"error": "UserRollback", "message": "rollback requested"}


def _lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=agent_settings.LEASE_SECONDS)


def _announce_done(*, run_id: UUID, thread_id: UUID) -> None:
    append_thread_event(thread_id=thread_id, event="metadata",
                        data={"status": "run_done", "run_id": str(run_id)}, run_id=run_id)


# --- claim: pending -> running ---------------------------------------------------------------

def claim_run(run_id: UUID, thread_id: UUID, worker_id: str, *, loaded: ClaimedRun | None = None) -> ClaimedRun | None:
    """Claim one run; in the same transaction store its ``metadata`` frame. None if it was not claimable.

    ``loaded``: the ClaimedRun of a run this process just created (no need to read it back)."""
    with transaction.atomic():
        if not Thread.objects.acquire(thread_id, run_id=run_id):
            return None
        won = Run.objects.claim(run_id, worker_id=worker_id, lease_until=_lease_until(),
                                first_attempt=loaded is not None)
        if not won:
            transaction.set_rollback(True)
            return None
        claimed = loaded or load_claimed(run_id)
        _store_metadata(claimed)
    return claimed


def _store_metadata(claimed: ClaimedRun) -> None:
    """Store the claimed attempt's ``metadata`` frame (the first frame of its stream)."""
    claimed.metadata_rows = store_run_events(
        thread_id=claimed.thread_id, run_id=claimed.run_id, first_seq=claimed.start_seq + 1,
        frames=[("metadata", serde.dumps_str({"run_id": str(claimed.run_id), "attempt": claimed.attempt}))],
    )
    claimed.start_seq += 1


def running_fields(*, worker_id: str, now: datetime) -> dict:
    """The columns of a run created already claimed by ``worker_id`` (its first attempt)."""
    return {"status": RunStatus.RUNNING, "attempt": 1, "worker_id": worker_id, "started_at": now,
            "lease_expires_at": _lease_until()}


def start_created(claimed: ClaimedRun) -> None:
    """In the transaction that created ``claimed``'s run with ``running_fields`` on a thread it
    locked with no active run: take the thread and store the metadata frame (what ``claim_run``
    does for a pending run, without its compare-and-set on the run)."""
    if not Thread.objects.acquire(claimed.thread_id, run_id=claimed.run_id):
        raise RuntimeError(f"thread {claimed.thread_id} was taken while locked")
    _store_metadata(claimed)


def claim_runs(*, worker_id: str, limit: int, run_ids: Iterable[UUID] | None = None,
               created: Sequence[ClaimedRun] = (), scan: bool = True,
               graph_ids: Iterable[str] | None = None) -> list[ClaimedRun]:
    """Claim up to ``limit`` runs, oldest first, at most one per thread.

    ``created``: ClaimedRuns of runs this process just created on an otherwise idle thread (see
    ``runs.claimed.claimed_from_created``), claimed directly, without a scan. The scan of pending
    runs (among ``run_ids`` if given) runs when ``scan`` is true or when one of them could not be claimed.
    ``graph_ids``: only runs of these graphs (the ones this process loaded)."""
    claimed = []
    for loaded in created[:limit]:
        run = claim_run(loaded.run_id, loaded.thread_id, worker_id, loaded=loaded)
        if run is None:
            scan = True
        else:
            claimed.append(run)
    if scan or len(created) > limit:
        claimed += scan_runs(worker_id=worker_id, limit=limit - len(claimed), run_ids=run_ids, graph_ids=graph_ids)
    return claimed


def scan_runs(*, worker_id: str, limit: int, run_ids: Iterable[UUID] | None = None,
              graph_ids: Iterable[str] | None = None) -> list[ClaimedRun]:
    """Claim up to ``limit`` pending runs (among ``run_ids``, of ``graph_ids`` if given), oldest
    first, one per thread."""
    if limit <= 0:
        return []
    candidates = Run.objects.pending().filter(available_at__lte=timezone.now(), thread__active_run_id__isnull=True)
    if run_ids is not None:
        candidates = candidates.filter(run_id__in=list(run_ids))
    if graph_ids is not None:
        candidates = candidates.filter(graph_id__in=list(graph_ids))
    candidates = candidates.order_by("created_at").values_list("run_id", "thread_id")[: limit * 4]
    claimed, seen_threads = [], set()
    for run_id, thread_id in candidates:
        if thread_id in seen_threads:
            continue
        seen_threads.add(thread_id)
        run = claim_run(run_id, thread_id, worker_id)
        if run is not None:
            claimed.append(run)
            if len(claimed) >= limit:
                break
    return claimed


def renew_leases(*, worker_id: str, run_ids: list[UUID]) -> dict[UUID, str]:
    """Extend the lease of runs this worker holds; return {run_id: cancel_action} for flagged ones."""
    if not run_ids:
        return {}
    Run.objects.renew_leases(run_ids, worker_id=worker_id, lease_until=_lease_until())
    flagged = Run.objects.filter(run_id__in=run_ids).exclude(cancel_action="")
    return dict(flagged.values_list("run_id", "cancel_action"))


# --- the end of an attempt: finish, roll back, hand back, expire --------------------------------

def run_output(mirror: dict, *, status: RunStatus, error: dict | None):
    """What /wait and /join return: the thread's values (with ``__interrupt__`` while the graph
    waits for input), or ``{"__error__": error}``."""
    if status == RunStatus.ERROR:
        return {"__error__": error}
    values = mirror["values"]
    if status != RunStatus.INTERRUPTED and mirror["status"] == ThreadStatus.INTERRUPTED and mirror["interrupts"]:
        # the stream's shape of an interrupt (the state's, plus response_schema)
        interrupts = [{"value": i.get("value"), "id": i.get("id"), "response_schema": i.get("response_schema")}
                      for items in mirror["interrupts"].values() for i in items]
        return {**(values or {}), "__interrupt__": interrupts}
    return values


def finish_run(*, run_id: UUID, thread_id: UUID, status: RunStatus, error: dict | None, mirror: dict) -> bool:
    """running -> ``status``: record the run's end and output, release its thread (which mirrors the
    state the run left, ``mirror``: ``threads.snapshots.thread_mirror``) and append ``run_done`` to
    the thread's log. False (and nothing written) when the run was no longer running."""
    if status == RunStatus.INTERRUPTED:
        error = USER_INTERRUPT
    # The run row keeps the traceback (for operators); /wait, /join and the thread get the API's error.
    public = {k: v for k, v in error.items() if k != "traceback"} if isinstance(error, dict) else error
    with transaction.atomic():
        if not Run.objects.finish(run_id, status=status, error=error,
                                  output=run_output(mirror, status=status, error=public)):
            return False
        fields = mirror_after_run(mirror, run_status=status, error=public, now=timezone.now())
        Thread.objects.release(thread_id, run_id=run_id, **fields)
        _announce_done(run_id=run_id, thread_id=thread_id)
    return True


def attempt_ended(*, run_id: UUID, attempt: int, status: RunStatus) -> bool:
    """Whether attempt ``attempt`` of the run ended as ``status`` (a finish that committed)."""
    return Run.objects.filter(pk=run_id, attempt=attempt, status=status).exists()


def rollback_run(*, run_id: UUID, thread_id: UUID) -> None:
    """A rolled-back run disappears: its row, its events; the thread is released and idle."""
    with transaction.atomic():
        Run.objects.roll_back(run_id)
        delete_events(run_ids=[run_id])
        Thread.objects.release(thread_id, run_id=run_id, status=ThreadStatus.IDLE,
                               updated_at=timezone.now(), error=USER_ROLLBACK)


def hand_back(*, run_ids: list[UUID], worker_id: str) -> list[UUID]:
    """Graceful shutdown: runs this worker could not finish go back to pending. Returns their ids."""
    handed = []
    with transaction.atomic():
        runs = list(Run.objects.filter(run_id__in=run_ids, worker_id=worker_id, status=RunStatus.RUNNING)
                    .values_list("run_id", "thread_id"))
        for run_id, thread_id in runs:
            if Run.objects.hand_back(run_id, worker_id=worker_id):
                Thread.objects.release(thread_id, run_id=run_id)
                handed.append(run_id)
    return handed


def _expire(run_id: UUID, thread_id: UUID, attempt: int, owner: str, now: datetime) -> bool | None:
    """Expire one run: True retried, False failed, None when it was no longer expired."""
    retry = agent_settings.ON_WORKER_CRASH == "retry" and attempt < agent_settings.MAX_ATTEMPTS
    error = None if retry else {"error": "WorkerLost", "message": f"worker {owner or '?'} stopped during attempt {attempt}"}
    with transaction.atomic():
        if not Run.objects.expire(run_id, now=now, retry=retry, error=error):
            return None
        if retry:
            Thread.objects.release(thread_id, run_id=run_id)
        else:
            Thread.objects.release(thread_id, run_id=run_id, status=ThreadStatus.ERROR, error=error)
            _store_final_error(run_id=run_id, thread_id=thread_id, error=error)
    return retry


def _store_final_error(*, run_id: UUID, thread_id: UUID, error: dict) -> None:
    """End the run's log with its ``error`` frame (inside the transaction that fails the run), so a
    stream of a run that ends this way says so instead of ending like a normal end of run."""
    from django.db import IntegrityError

    from streaming.selectors import last_run_seq

    try:
        with transaction.atomic():
            rows = store_run_events(thread_id=thread_id, run_id=run_id, first_seq=last_run_seq(run_id=run_id) + 1,
                                    frames=[("error", serde.dumps_str(error))])
    except IntegrityError:  # the lost worker stored one more event meanwhile: it is not lost after all
        return
    transaction.on_commit(lambda: notify.events_stored(thread_id=thread_id, run_id=run_id, rows=rows))


def recover_expired(*, worker_id: str) -> tuple[list[tuple[UUID, UUID]], list[tuple[UUID, UUID]]]:
    """Runs whose worker stopped renewing its lease: retry them (new attempt) or fail them.

    Returns (retried, failed), each a list of (run_id, thread_id)."""
    now = timezone.now()
    retried, failed = [], []
    expired = Run.objects.lease_expired(now).values_list("run_id", "thread_id", "attempt", "worker_id")
    for run_id, thread_id, attempt, owner in expired:
        retry = _expire(run_id, thread_id, attempt, owner, now)
        if retry is not None:
            (retried if retry else failed).append((run_id, thread_id))
    for run_id, thread_id in failed:
        _announce_done(run_id=run_id, thread_id=thread_id)
    return retried, failed


# --- cancel ----------------------------------------------------------------------------------

def request_cancel(*, run_ids: list[UUID], action: CancelAction) -> list[UUID]:
    """Inside a transaction: pending runs end at once (interrupted, or deleted for a rollback),
    running ones are flagged for their executor. Returns the ids of both."""
    pending = list(Run.objects.filter(run_id__in=run_ids, status=RunStatus.PENDING).values_list("run_id", flat=True))
    if action == CancelAction.ROLLBACK:
        Run.objects.delete_pending(pending)
        delete_events(run_ids=pending)
    else:
        Run.objects.interrupt_pending(pending)
    running = list(Run.objects.filter(run_id__in=run_ids, status=RunStatus.RUNNING).values_list("run_id", flat=True))
    Run.objects.request_cancel(running, action=action)

    def _announce():
        for run_id in pending:
            notify.run_finished(run_id=run_id, status=RunStatus.INTERRUPTED)
        for run_id in running:
            wakeups.workers({"type": "run.cancel", "run_id": str(run_id), "action": str(action)})

    transaction.on_commit(_announce)
    return pending + running


# --- stateless runs --------------------------------------------------------------------------

def _settle_rows(*, run_id: UUID, thread_id: UUID, detach: bool) -> bool:
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not run.kwargs.get("temporary") or run.kwargs.get("on_completion") == "keep":
            return False
        if detach and run.kwargs.get("attached"):
            run.kwargs = {**run.kwargs, "attached": False}
            run.save(update_fields=["kwargs"])
        if run.kwargs.get("attached") or run.status in ACTIVE_STATUSES:
            return False
        Thread.objects.filter(pk=thread_id, temporary=True).delete()
        # (the thread's event log goes with it: threads.signals)
    return True


async def settle_stateless_run(*, run_id: UUID, thread_id: UUID, detach: bool = False) -> bool:
    """Delete a stateless run's temporary thread (row, runs, events, checkpoints) once the run is
    over and nobody streams it any more; unless it was created with ``on_completion=keep``.

    The executor calls this when the run ends; a stream/wait consumer that was attached calls it
    (``detach=True``) when it is done; whichever comes last deletes. Returns True when it did."""
    from threads.state import adelete_checkpoints

    deleted = await db(_settle_rows)(run_id=run_id, thread_id=thread_id, detach=detach)
    if deleted:
        await runtime.submit(adelete_checkpoints(thread_ids=[thread_id]))
    return deleted


def mirror_after_run(mirror: dict, *, run_status: RunStatus, error: dict | None, now) -> dict:
    """(Here, not in threads: it maps run outcomes.) The thread row's fields when its run ends with ``run_status``, ``mirror`` being the
    ``thread_mirror`` of the state the run left: the thread is in error after a failed run,
    interrupted after a cancelled one, else as the mirror says. Values and interrupts are written
    only when the thread has a checkpoint."""
    status = {RunStatus.ERROR: ThreadStatus.ERROR, RunStatus.INTERRUPTED: ThreadStatus.INTERRUPTED}.get(
        run_status, mirror["status"])
    fields = {"status": status, "error": error, "updated_at": now}
    if mirror["values"] is not None:
        fields.update(values=mirror["values"], interrupts=mirror["interrupts"] or {}, state_updated_at=now)
    return fields
