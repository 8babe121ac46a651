"""Writes of runs: create (with multitask strategies), cancel, delete."""
import threading
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from agentserver import sql
from agentserver.api.exceptions import AlreadyExists, InvalidInput, NotFound
from agentserver.ids import uuid7
from assistants.selectors import resolve_assistant
from runs import lifecycle, wakeups
from runs.claimed import claimed_from_created
from runs.models import ACTIVE_STATUSES, CANCEL_ALL, FINISHED_STATUSES, CancelAction, Run, RunStatus
from streaming.services import delete_events
from threads.models import Thread

REJECT_DETAIL = "Thread is already running a task. Wait for it to finish or choose a different multitask strategy."
KWARG_KEYS = (
    "input", "command", "config", "context", "stream_mode", "interrupt_before", "interrupt_after",
    "webhook", "feedback_keys", "checkpoint", "checkpoint_id", "after_seconds", "on_disconnect",
    "on_completion", "durability", "checkpoint_during", "attached", "observed",
)


def _run_kwargs(*, payload: dict, thread: Thread, temporary: bool) -> dict:
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


_THREAD_FIELDS = tuple(field.attname for field in Thread._meta.concrete_fields)


def _locked_thread(*, thread_id: UUID, filters: dict | None) -> Thread | None:
    """The thread, locked for the run's transaction (PostgreSQL; SQLite's write lock is the
    transaction's); None when missing or hidden by the authorization ``filters``."""
    if filters:
        return Thread.objects.visible(filters).select_for_update().filter(pk=thread_id).first()
    row = sql.select_one(Thread, _THREAD_FIELDS, where={"thread_id": thread_id}, for_update=True)
    return None if row is None else Thread.from_db(Thread.objects.db, _THREAD_FIELDS, tuple(row.values()))


def _thread_for_run(*, thread_id: UUID | None, if_not_exists: str | None, graph_id: str,
                    assistant_id: UUID, filters: dict | None = None,
                    thread_metadata: dict | None = None) -> tuple[Thread, bool]:
    """Lock and return the run's thread, creating it when asked (or a temporary one, with
    ``thread_metadata``); a thread the authorization ``filters`` hide is as missing."""
    meta = {"graph_id": graph_id, "assistant_id": str(assistant_id)}
    new_meta = {**(thread_metadata or {}), **meta}
    if thread_id is None:
        return Thread.objects.create_now(metadata=new_meta, config={"configurable": {}}, temporary=True), True
    thread = _locked_thread(thread_id=thread_id, filters=filters)
    if thread is None:
        if if_not_exists != "create" or (filters and Thread.objects.filter(pk=thread_id).exists()):
            raise NotFound("Thread or assistant not found.")
        thread = Thread.objects.create_now(thread_id=thread_id, metadata=new_meta, config={"configurable": {}})
    elif (thread.metadata.get("graph_id") != graph_id or thread.metadata.get("assistant_id") != str(assistant_id)
          or "configurable" not in (thread.config or {})):
        thread.metadata = {**thread.metadata, **meta}
        thread.config = {"configurable": {}, **(thread.config or {})}  # as the reference shows it after a run
        thread.updated_at = timezone.now()
        sql.update(Thread, where={"thread_id": thread.pk}, values={
            "metadata": thread.metadata, "config": thread.config, "updated_at": thread.updated_at})
    return thread, False


def _insert_run(**fields) -> Run:
    """INSERT the run (a compiled statement: every run makes one) and return it as a model instance."""
    row = sql.insert(Run, fields)
    return Run.from_db(Run.objects.db, tuple(row), tuple(row.values()))


def create_run(*, payload: dict, thread_id: UUID | None = None, run_id: UUID | None = None,
               filters: dict | None = None, thread_metadata: dict | None = None) -> Run:
    """Create a pending run on ``thread_id`` (or, stateless, on a new temporary thread); ``run_id``
    lets a stream subscribe to the run's events before the run exists. ``filters``: authorization
    of the thread (``agentserver.api.access``); ``thread_metadata``: merged into a thread the run
    creates (the run's metadata when auth is on, as the reference).

    Applies the multitask strategy against the thread's active runs and wakes the executors. A run
    that can start at once, with a free slot in this process's executor, is created already claimed
    by it (one transaction: the run, its thread taken, its metadata frame) and starts on commit."""
    assistant = resolve_assistant(assistant_id=payload["assistant_id"])
    strategy = payload.get("multitask_strategy") or "enqueue"
    after = payload.get("after_seconds") or 0
    outermost = not transaction.get_connection().in_atomic_block
    executor = None
    try:
        with transaction.atomic():
            thread, temporary = _thread_for_run(
                thread_id=thread_id, if_not_exists=payload.get("if_not_exists"),
                graph_id=assistant.graph_id, assistant_id=assistant.assistant_id,
                filters=filters, thread_metadata=thread_metadata,
            )
            active = [row["run_id"] for row in sql.select(
                Run, ("run_id",), where={"thread_id": thread.pk, "status__in": ACTIVE_STATUSES})]
            if active and strategy == "reject":
                raise AlreadyExists(REJECT_DETAIL)
            fields = _run_fields(payload=payload, run_id=run_id, thread=thread, temporary=temporary,
                                 assistant=assistant, strategy=strategy, after=after)
            if outermost and not active and after <= 0 and thread.active_run_id is None:
                executor = _reserve_slot(assistant.graph_id)
            if executor is not None:
                fields.update(lifecycle.running_fields(worker_id=executor.worker_id, now=fields["created_at"]))
            run = _insert_run(**fields)
            run.thread = thread
            if executor is not None:
                claimed = claimed_from_created(run=run, assistant=assistant)
                lifecycle.start_created(claimed)
                transaction.on_commit(lambda: executor.start_reserved_threadsafe(claimed))
            if active and strategy in CancelAction.values:
                lifecycle.request_cancel(run_ids=active, action=CancelAction(strategy))
    except BaseException:
        if executor is not None:
            executor.unreserve()
        raise
    if executor is None:
        _wake_executors(run=run, assistant=assistant, handover=not active and after <= 0)
    return run


def executes_here(run) -> bool:
    """Whether ``run``, as ``create_run`` returned it, was created already claimed by this process's
    executor (it starts here on commit; only a shutdown meanwhile hands it to another process)."""
    return run.status == RunStatus.RUNNING


def _run_fields(*, payload, run_id, thread, temporary, assistant, strategy, after) -> dict:
    # as on the reference: the assistant's metadata, the thread's (graph_id, assistant_id...), the request's
    metadata = {**(assistant.metadata or {}), **(thread.metadata or {}), **(payload.get("metadata") or {})}
    now = timezone.now()
    return {
        "run_id": run_id or uuid7(), "thread_id": thread.pk, "assistant_id": assistant.assistant_id,
        "graph_id": assistant.graph_id, "metadata": metadata,
        "kwargs": _run_kwargs(payload=payload, thread=thread, temporary=temporary),
        "multitask_strategy": strategy, "created_at": now, "updated_at": now,
        "available_at": now + timedelta(seconds=after),
    }


def _reserve_slot(graph_id):
    """This process's executor, with a slot reserved for a run of ``graph_id``; else None."""
    from runs.executor import get_executor

    executor = get_executor()
    return executor if executor is not None and executor.reserve(graph_id) else None


def _wake_executors(*, run, assistant, handover):
    """On commit, wake the executors; a run that can start at once on an idle thread is handed to
    this process's executor as it is, so that it is claimed without a scan or a read-back."""
    def local():  # called only when this process has an executor
        return {"created": claimed_from_created(run=run, assistant=assistant)} if handover else {}

    transaction.on_commit(lambda: wakeups.workers({"type": "run.wakeup"}, local=local))


def observe_run(*, run_id: UUID) -> bool:
    """A client attaches to the run (join, join stream). True for its first observer: a run created
    in the background and then joined (``runs.create`` then ``runs.join_stream``) is streamed to
    that joiner from its first event, however soon it started (on the reference a run never starts
    before such a join arrives). Runs created by /stream and /wait are observed from their creation."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).only("kwargs").first()
        if run is None or run.kwargs.get("observed"):
            return False
        run.kwargs = {**run.kwargs, "observed": True}
        run.save(update_fields=["kwargs"])
    return True


class _Recent:
    """A bounded, thread-safe set of the ids seen last (this process's observed runs)."""

    def __init__(self, size=10_000):
        self.size, self.ids, self.lock = size, {}, threading.Lock()

    def add(self, key) -> bool:
        """Add ``key``; False if it was already there."""
        with self.lock:
            if key in self.ids:
                return False
            self.ids[key] = None
            if len(self.ids) > self.size:
                del self.ids[next(iter(self.ids))]
            return True


_observed_here = _Recent()


def attach(*, thread_id: UUID | None, run_id: UUID, filters: dict | None = None) -> dict | None:
    """A client joins the run, in one database round trip of its own: the run (``run_for_stream``;
    None if missing or hidden) with ``first`` (its first observer: ``observe_run``), ``over`` and
    ``last_seq`` (its last stored event; read after ``over``, so that a run over has no event after
    it). Only the first joiner in this process writes; the ones after it are not first anyway."""
    from runs.selectors import is_over, run_for_stream
    from streaming.selectors import last_run_seq

    run = run_for_stream(thread_id=thread_id, run_id=run_id, filters=filters)
    if run is None:
        return None
    first = not (run["kwargs"] or {}).get("observed") and _observed_here.add(run_id) and observe_run(run_id=run_id)
    return {**run, "first": bool(first), "over": is_over(run["status"]), "last_seq": last_run_seq(run_id=run_id)}


def cancel_runs(*, thread_id: UUID | None = None, run_ids: Iterable[UUID] | None = None,
                status: str | None = None, action: str = CancelAction.INTERRUPT,
                filters: dict | None = None) -> list[UUID]:
    """Cancel active runs chosen by thread/ids or by status. Returns the ids cancelled.

    ``status``: pending, running or all. Raises NotFound when nothing matched (the reference's wording)."""
    action = CancelAction(action) if action in CancelAction.values else CancelAction.INTERRUPT
    qs = Run.objects.active().visible(filters)
    if status is not None:
        if status != CANCEL_ALL:
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
        return lifecycle.request_cancel(run_ids=ids, action=action)


def cancel_run(*, thread_id: UUID, run_id: UUID, action: str = CancelAction.INTERRUPT,
               filters: dict | None = None) -> list[UUID]:
    """Cancel one run; 404 when it does not exist (or ``filters`` hide it) or is no longer active."""
    if not Run.objects.visible(filters).filter(thread_id=thread_id, run_id=run_id).exists():
        raise NotFound("No runs found to cancel.")
    cancelled = cancel_runs(thread_id=thread_id, run_ids=[run_id], action=action, filters=filters)
    if not cancelled:
        raise NotFound(
            "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
            "and the runs haven't been deleted or completed."
        )
    return cancelled


def delete_run(*, thread_id: UUID, run_id: UUID, filters: dict | None = None) -> None:
    with transaction.atomic():
        run = Run.objects.visible(filters).select_for_update().filter(thread_id=thread_id, run_id=run_id).first()
        if run is None:
            raise NotFound("Run not found")
        if run.status in ACTIVE_STATUSES:
            raise InvalidInput("Cannot delete an active run; cancel it first.")
        run.delete()
        delete_events(run_ids=[run_id])


def current_run_start(*, thread_id):
    """Where a protocol v2 subscription without ``since`` starts: the thread position of the first
    event of the thread's current run, i.e. its latest run while it is active, or when no client
    has attached to it yet (a ``run.start`` whose run finished before the client subscribed).
    None: from now on."""
    from streaming.models import Event

    run = (Run.objects.filter(thread_id=thread_id).order_by("-created_at")
           .values("run_id", "status", "kwargs").first())
    if run is None:
        return None
    first = observe_run(run_id=run["run_id"])
    if not first and run["status"] in FINISHED_STATUSES:
        return None
    return (Event.objects.filter(run_id=run["run_id"]).order_by("thread_seq")
            .values_list("thread_seq", flat=True).first())
