"""The LangGraph side of threads: read and update state, copy, delete and prune checkpoints.

Every ``a*`` function is a coroutine for the runtime loop; sync code runs it with
``agentserver.runtime.call``. Graphs come from ``agentserver.graphs.registry`` with the server's
checkpointer and store attached; a thread's graph is ``thread.metadata["graph_id"]``.
"""
import contextlib
from collections import defaultdict

from langgraph.errors import EmptyChannelError, InvalidUpdateError
from langgraph.types import Command, StateUpdate

from agentserver.api.exceptions import InvalidInput, NotFound, ServiceError
from agentserver.graphs import registry
from agentserver.persistence import get_checkpointer, get_store
from threads.snapshots import empty_state, snapshot_json

NO_GRAPH = (
    "Thread '{thread_id}' has no assigned graph ID. This usually occurs when no runs have been made on "
    "this particular thread. This operation requires a graph ID. Please ensure a run has been made for "
    "the thread or manually update the thread metadata (by setting the 'graph_id' field) before running "
    "this operation."
)
# What a graph raises for an update it cannot apply (unknown node, a reducer refusing the value, ...):
# the request's fault, a 400 with the graph's message.
UPDATE_ERRORS = (
    InvalidUpdateError, EmptyChannelError, ValueError, TypeError, KeyError, AttributeError, IndexError,
    NotImplementedError,
)


class GraphRejected(ServiceError):
    status_code = 400


def graph_id_of(thread, *, required):
    """The thread's graph id; with ``required``, a 400 when the thread has none (as the reference)."""
    graph_id = (thread.metadata or {}).get("graph_id")
    if graph_id is None and required:
        raise GraphRejected(NO_GRAPH.format(thread_id=thread.thread_id))
    return graph_id


def thread_config(thread_id, *, checkpoint=None, graph_id=None):
    """``{"configurable": {...}}`` for the thread, at ``checkpoint`` (a CheckpointConfig) if given.

    The thread id always comes from the path, never from the checkpoint object."""
    configurable = {"graph_id": graph_id} if graph_id else {}
    checkpoint = checkpoint or {}
    configurable["thread_id"] = str(thread_id)
    configurable["checkpoint_ns"] = checkpoint.get("checkpoint_ns") or ""
    if checkpoint.get("checkpoint_id"):
        configurable["checkpoint_id"] = checkpoint["checkpoint_id"]
    if checkpoint.get("checkpoint_map"):
        configurable["checkpoint_map"] = checkpoint["checkpoint_map"]
    return {"configurable": configurable}


@contextlib.asynccontextmanager
async def open_graph(graph_id, config, *, access_context="threads.read"):
    """The thread's graph with the server's checkpointer and store; 404 for an unknown graph id.

    ``access_context``: what a factory taking a ``ServerRuntime`` is told (threads.read / threads.update)."""
    if not isinstance(graph_id, str) or registry.get_spec(graph_id) is None:
        raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(registry.graph_ids())}")
    checkpointer = await get_checkpointer()
    store = await get_store()
    async with registry.graph(graph_id, config=config, checkpointer=checkpointer, store=store,
                              access_context=access_context) as graph:
        yield graph


async def aget_state(*, thread_id, graph_id, checkpoint=None, subgraphs=False):
    """The ThreadState at ``checkpoint`` (default: the latest); empty for a thread without a graph."""
    if graph_id is None:
        return empty_state()
    config = thread_config(thread_id, checkpoint=checkpoint)
    async with open_graph(graph_id, config) as graph:
        snapshot = await graph.aget_state(config, subgraphs=subgraphs)
    return snapshot_json(snapshot)


async def ahistory(*, thread_id, graph_id, limit, before=None, metadata=None, checkpoint=None):
    """Past states, newest first; ``before`` is a checkpoint id."""
    if graph_id is None:
        return []
    config = thread_config(thread_id, checkpoint=checkpoint)
    before_config = {"configurable": {"checkpoint_id": before}} if before else None
    states = []
    async with open_graph(graph_id, config) as graph:
        try:
            async for snapshot in graph.aget_state_history(
                config, filter=metadata or None, before=before_config, limit=limit
            ):
                states.append(snapshot_json(snapshot))
        except ValueError as exc:  # e.g. SQLite refusing a metadata filter key
            raise InvalidInput(str(exc)) from exc
    return states


async def acheckpoint_exists(*, thread_id, checkpoint):
    checkpointer = await get_checkpointer()
    return await checkpointer.aget_tuple(thread_config(thread_id, checkpoint=checkpoint)) is not None


async def aupdate_state(*, thread_id, graph_id, values, as_node=None, checkpoint=None):
    """Apply ``values`` as if ``as_node`` had run; returns (the new checkpoint's config, latest state)."""
    config = thread_config(thread_id, checkpoint=checkpoint, graph_id=graph_id)
    async with open_graph(graph_id, config, access_context="threads.update") as graph:
        try:
            next_config = await graph.aupdate_state(config, values, as_node=as_node)
        except UPDATE_ERRORS as exc:
            raise GraphRejected(str(exc)) from exc
        snapshot = await graph.aget_state(thread_config(thread_id))
    return next_config, snapshot_json(snapshot)


def _superstep_value(update):
    command = update.get("command")
    if command:
        return Command(
            update=command.get("update"), resume=command.get("resume"), goto=command.get("goto") or (),
        )
    return update.get("values")


async def abulk_update(*, thread_id, graph_id, supersteps):
    """Apply ``supersteps`` ([{"updates": [{"values", "command", "as_node"}]}]); returns the latest state."""
    config = thread_config(thread_id, graph_id=graph_id)
    steps = [
        [StateUpdate(_superstep_value(update), update.get("as_node")) for update in step["updates"]]
        for step in supersteps
    ]
    async with open_graph(graph_id, config, access_context="threads.update") as graph:
        try:
            await graph.abulk_update_state(config, steps)
        except UPDATE_ERRORS as exc:
            raise GraphRejected(str(exc)) from exc
        snapshot = await graph.aget_state(thread_config(thread_id))
    return snapshot_json(snapshot)


async def _put_tuple(checkpointer, saved, *, thread_id, parent_id):
    """Store checkpoint tuple ``saved`` (with its pending writes) under ``thread_id``."""
    namespace = saved.config["configurable"].get("checkpoint_ns", "")
    configurable = {"thread_id": thread_id, "checkpoint_ns": namespace}
    if parent_id:
        configurable["checkpoint_id"] = parent_id
    metadata = dict(saved.metadata or {})
    if "thread_id" in metadata:
        metadata["thread_id"] = thread_id
    versions = dict(saved.checkpoint.get("channel_versions") or {})
    stored = await checkpointer.aput({"configurable": configurable}, saved.checkpoint, metadata, versions)
    by_task = defaultdict(list)
    for task_id, channel, value in saved.pending_writes or ():
        by_task[task_id].append((channel, value))
    for task_id, writes in by_task.items():
        await checkpointer.aput_writes(stored, writes, task_id)


def _parent_id(saved):
    return (saved.parent_config or {}).get("configurable", {}).get("checkpoint_id")


async def acopy_checkpoints(*, source_id, target_id):
    """Copy every checkpoint (all namespaces) and pending write of one thread to another."""
    checkpointer = await get_checkpointer()
    saved = [t async for t in checkpointer.alist({"configurable": {"thread_id": str(source_id)}})]
    for item in reversed(saved):  # oldest first
        await _put_tuple(checkpointer, item, thread_id=str(target_id), parent_id=_parent_id(item))
    return len(saved)


async def adelete_checkpoints(*, thread_ids):
    checkpointer = await get_checkpointer()
    for thread_id in thread_ids:
        await checkpointer.adelete_thread(str(thread_id))


async def aprune_keep_latest(*, thread_ids):
    """Keep only the latest checkpoint of each namespace of each thread."""
    checkpointer = await get_checkpointer()
    ids = [str(thread_id) for thread_id in thread_ids]
    try:
        await checkpointer.aprune(ids, strategy="keep_latest")
        return
    except NotImplementedError:
        pass
    for thread_id in ids:
        latest = {}
        count = 0
        async for item in checkpointer.alist({"configurable": {"thread_id": thread_id}}):
            count += 1
            latest.setdefault(item.config["configurable"].get("checkpoint_ns", ""), item)
        if count == len(latest):
            continue
        await checkpointer.adelete_thread(thread_id)
        for item in latest.values():
            await _put_tuple(checkpointer, item, thread_id=thread_id, parent_id=None)
