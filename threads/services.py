"""Writes of threads: create, patch, delete, copy, prune, and updates of their LangGraph state.

A failed write leaves nothing behind: a thread whose supersteps or checkpoint copy fail is removed
again, and a state update is checked (thread, graph, runs, checkpoint) before the graph writes.
"""
from django.db import IntegrityError, transaction
from django.utils import timezone

from agentserver import runtime
from agentserver.api.exceptions import AlreadyExists, InvalidInput
from streaming.services import append_thread_event
from threads import hooks, state
from threads.models import Thread, ThreadStatus
from threads.selectors import get_thread, not_found
from threads.snapshots import thread_mirror

CANCEL_WAIT_SECONDS = 5.0


def _insert(*, thread_id=None, metadata=None, config=None):
    """A new idle thread with created_at == updated_at == state_updated_at; None if the id is taken."""
    fields = {"metadata": metadata or {}, "config": config or {}}
    if thread_id is not None:
        fields["thread_id"] = thread_id
    try:
        with transaction.atomic():
            return Thread.objects.create_now(**fields)
    except IntegrityError:
        return None


def _mirror_state(*, thread_id, latest):
    """Keep the row's values/status/interrupts in step with the latest checkpoint (not while busy)."""
    now = timezone.now()
    Thread.objects.filter(pk=thread_id).exclude(status=ThreadStatus.BUSY).update(
        **thread_mirror(latest), error=None, state_updated_at=now, updated_at=now,
    )


def _remove(*, thread_ids):
    """Delete rows (runs cascade), their event logs and their checkpoints."""
    thread_ids = list(thread_ids)
    if not thread_ids:
        return
    with transaction.atomic():
        Thread.objects.filter(pk__in=thread_ids).delete()  # closes their event logs (threads.signals)
    runtime.call(state.adelete_checkpoints(thread_ids=thread_ids))


def _cancel_active_runs(*, thread_ids):
    """Interrupt the threads' runs and give running ones a moment to stop writing checkpoints."""
    hooks.runs().cancel_and_wait(thread_ids=thread_ids, timeout=CANCEL_WAIT_SECONDS)


def create_thread(*, thread_id=None, metadata=None, if_exists="raise", supersteps=None, filters=None):
    """Create a thread, or return the existing one with ``if_exists="do_nothing"``.

    ``supersteps`` are applied with the graph named by ``metadata.graph_id``; if they fail the thread
    is not kept and the graph's error is raised."""
    thread = _insert(thread_id=thread_id, metadata=metadata)
    if thread is None:
        existing = Thread.objects.filter(pk=thread_id).first()
        visible = existing is not None and Thread.objects.visible(filters).filter(pk=thread_id).exists()
        if visible and if_exists == "do_nothing":
            return existing
        raise AlreadyExists(f"Thread with ID {thread_id} already exists")
    if supersteps:
        try:
            latest = runtime.call(state.abulk_update(
                thread_id=thread.thread_id, graph_id=state.graph_id_of(thread, required=True),
                supersteps=supersteps,
            ))
        except BaseException:
            _remove(thread_ids=[thread.thread_id])
            raise
        _mirror_state(thread_id=thread.thread_id, latest=latest)
        thread.refresh_from_db()
    return thread


def patch_thread(*, thread_id, metadata=None, filters=None):
    """Merge ``metadata`` into the thread's (top-level keys replaced)."""
    with transaction.atomic():
        thread = Thread.objects.visible(filters).select_for_update().filter(pk=thread_id).first()
        if thread is None:
            raise not_found(thread_id)
        if metadata:
            thread.metadata = {**(thread.metadata or {}), **metadata}
        thread.updated_at = timezone.now()
        thread.save(update_fields=["metadata", "updated_at"])
    return thread


def delete_thread(*, thread_id, filters=None):
    """Cancel the thread's runs, then delete it with its runs, events and checkpoints."""
    get_thread(thread_id=thread_id, filters=filters)
    _cancel_active_runs(thread_ids=[thread_id])
    _remove(thread_ids=[thread_id])


def copy_thread(*, thread_id, filters=None, metadata=None):
    """A new thread with the source's metadata (or ``metadata``: what the create authorization
    made of it), config, checkpoints and mirrored state."""
    source = get_thread(thread_id=thread_id, filters=filters)
    copy = _insert(metadata=source.metadata if metadata is None else metadata, config=source.config)
    try:
        runtime.call(state.acopy_checkpoints(source_id=source.thread_id, target_id=copy.thread_id))
        fields = {"values": source.values, "interrupts": source.interrupts, "error": source.error,
                  "status": source.status}
        if source.status == ThreadStatus.BUSY:
            graph_id = state.graph_id_of(source, required=False)
            latest = runtime.call(state.aget_state(thread_id=copy.thread_id, graph_id=graph_id))
            fields = {**thread_mirror(latest), "error": None}
    except BaseException:
        _remove(thread_ids=[copy.thread_id])
        raise
    Thread.objects.filter(pk=copy.pk).update(**fields)
    copy.refresh_from_db()
    return copy


def prune_threads(*, thread_ids, strategy="delete", filters=None):
    """``delete``: remove the threads entirely. ``keep_latest``: keep only their latest checkpoints
    (threads with a run in flight are skipped). Returns the number of threads pruned."""
    existing = list(Thread.objects.visible(filters).filter(pk__in=thread_ids).values_list("pk", flat=True))
    if strategy == "delete":
        _cancel_active_runs(thread_ids=existing)
        _remove(thread_ids=existing)
        return len(existing)
    busy = set(hooks.runs().in_flight(thread_ids=existing))
    idle = [thread_id for thread_id in existing if thread_id not in busy]
    if idle:
        runtime.call(state.aprune_keep_latest(thread_ids=idle))
    return len(idle)


def _check_updatable(*, thread, checkpoint):
    in_flight = [str(run_id) for run_id in hooks.runs().in_flight(thread_ids=[thread.pk]).get(thread.pk, [])]
    if in_flight:
        raise AlreadyExists(f"Thread {thread.thread_id} has in-flight runs: {in_flight}")
    if checkpoint and checkpoint.get("checkpoint_id"):
        exists = runtime.call(state.acheckpoint_exists(thread_id=thread.thread_id, checkpoint=checkpoint))
        if not exists:
            raise InvalidInput("Invalid checkpoint ID")


def update_thread_state(*, thread_id, values, as_node=None, checkpoint=None, filters=None):
    """Apply ``values`` to the thread's state (at ``checkpoint``, default latest) as ``as_node``.

    Mirrors the new state on the thread row and appends a ``state_update`` event to its log.
    Returns ``{"checkpoint", "configurable", "checkpoint_id"}`` of the new checkpoint."""
    thread = get_thread(thread_id=thread_id, filters=filters)
    graph_id = state.graph_id_of(thread, required=True)
    _check_updatable(thread=thread, checkpoint=checkpoint)
    next_config, latest = runtime.call(state.aupdate_state(
        thread_id=thread.thread_id, graph_id=graph_id, values=values, as_node=as_node, checkpoint=checkpoint,
    ))
    _mirror_state(thread_id=thread.thread_id, latest=latest)
    append_thread_event(
        thread_id=thread.thread_id, event="state_update", data={"state": latest, "thread_id": str(thread.thread_id)},
    )
    configurable = dict(next_config.get("configurable") or {})
    return {
        "checkpoint": configurable, "configurable": configurable, "checkpoint_id": configurable.get("checkpoint_id"),
    }
