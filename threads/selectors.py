"""Reads of threads and of their LangGraph state."""
from agentserver import runtime
from agentserver.api.exceptions import NotFound
from threads import state
from threads.models import Thread


def not_found(thread_id):
    return NotFound(f"Thread with ID {thread_id} not found")


def get_thread(*, thread_id, filters=None):
    """By id; a thread the authorization ``filters`` hide is as missing (404)."""
    try:
        return Thread.objects.visible(filters).get(pk=thread_id)
    except Thread.DoesNotExist:
        raise not_found(thread_id) from None


def thread_visible(*, thread_id, filters=None):
    """Whether the thread exists and the authorization ``filters`` let the caller see it."""
    return Thread.objects.visible(filters).filter(pk=thread_id).exists()


def _filtered(*, metadata=None, values=None, status=None, ids=None, filters=None):
    qs = Thread.objects.visible(filters).metadata_contains(metadata).values_contain(values).with_status(status)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs


def search_threads(*, metadata=None, values=None, status=None, ids=None, limit=10, offset=0,
                   sort_by=None, sort_order=None, filters=None):
    """One page of matching threads and the total number of matches."""
    qs = _filtered(metadata=metadata, values=values, status=status, ids=ids, filters=filters)
    field = sort_by or "updated_at"
    prefix = "" if sort_order == "asc" else "-"
    ordering = [f"{prefix}{field}"] if field == "thread_id" else [f"{prefix}{field}", f"{prefix}thread_id"]
    total = qs.count()
    return list(qs.order_by(*ordering)[offset:offset + limit]), total


def count_threads(*, metadata=None, values=None, status=None, filters=None):
    return _filtered(metadata=metadata, values=values, status=status, filters=filters).count()


def get_thread_state(*, thread_id, checkpoint=None, subgraphs=False, filters=None):
    """The thread's ThreadState, latest or at ``checkpoint`` (a CheckpointConfig)."""
    thread = get_thread(thread_id=thread_id, filters=filters)
    return runtime.call(state.aget_state(
        thread_id=thread.thread_id, graph_id=state.graph_id_of(thread, required=False),
        checkpoint=checkpoint, subgraphs=subgraphs,
    ))


def get_thread_history(*, thread_id, limit, before=None, metadata=None, checkpoint=None, filters=None):
    """The thread's past states, newest first."""
    thread = get_thread(thread_id=thread_id, filters=filters)
    if limit == 0:
        return []
    return runtime.call(state.ahistory(
        thread_id=thread.thread_id, graph_id=state.graph_id_of(thread, required=False),
        limit=limit, before=before, metadata=metadata, checkpoint=checkpoint,
    ))
