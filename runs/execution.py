"""Execute one claimed run: stream the graph, store every frame, record the outcome."""
import asyncio
import logging
import traceback

import langgraph.version
from django.db import Error as DatabaseError
from langgraph.types import Command, Send

from agentserver import persistence
from agentserver.api.access import AuthUser
from agentserver.db import db
from agentserver.graphs import registry
from runs import lifecycle
from runs.claimed import ClaimedRun
from runs.models import CancelAction, RunStatus
from runs.streammodes import FrameBuilder, langgraph_modes
from streaming import notify
from streaming.writer import EventWriter

logger = logging.getLogger(__name__)
LANGGRAPH_VERSION = getattr(langgraph.version, "__version__", "")
SHUTDOWN = "shutdown"  # Control.cancel_action of a run its executor hands back (never stored)
TRACEBACK_CHARS = 20_000
# Pauses between the tries at writing a run's end (about 8 s in all, as the event writer's).
END_RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)


def build_config(run):
    base = run.assistant_config or {}
    override = run.kwargs.get("config") or {}
    config = {**base, **override}
    configurable = {**(base.get("configurable") or {}), **(override.get("configurable") or {})}
    configurable.update(
        thread_id=str(run.thread_id), run_id=str(run.run_id), assistant_id=str(run.assistant_id),
        graph_id=run.graph_id, user_id=configurable.get("user_id", ""),
    )
    checkpoint = run.kwargs.get("checkpoint") or {}
    configurable.update({k: v for k, v in checkpoint.items() if k in ("checkpoint_id", "checkpoint_ns", "checkpoint_map")})
    if run.kwargs.get("checkpoint_id"):
        configurable["checkpoint_id"] = run.kwargs["checkpoint_id"]
    if isinstance(configurable.get("langgraph_auth_user"), dict):
        # the caller's user (agentserver.api.access.authorize_run): ``user["identity"]`` or ``user.identity``
        configurable["langgraph_auth_user"] = AuthUser(configurable["langgraph_auth_user"])
    config["configurable"] = configurable
    config["metadata"] = {
        **(run.assistant_metadata or {}), **(base.get("metadata") or {}), **(override.get("metadata") or {}),
        "graph_id": run.graph_id, "assistant_id": str(run.assistant_id), "run_attempt": run.attempt,
        "langgraph_version": LANGGRAPH_VERSION, **(run.metadata or {}),
        "run_id": str(run.run_id), "thread_id": str(run.thread_id),
    }
    config["run_id"] = run.run_id
    config.setdefault("run_name", run.graph_id)
    return config


def _goto(value):
    def one(item):
        return Send(item["node"], item.get("input")) if isinstance(item, dict) else item

    return [one(v) for v in value] if isinstance(value, list) else one(value)


def build_input(kwargs):
    command = kwargs.get("command")
    if command:
        args = {key: value for key, value in command.items() if key in ("update", "resume")}
        if command.get("goto") is not None:
            args["goto"] = _goto(command["goto"])
        return Command(**args)
    return kwargs.get("input")


def _stream_kwargs(run):
    kwargs = run.kwargs
    options = {
        "stream_mode": langgraph_modes(kwargs["stream_mode"]) or ["values"],
        "subgraphs": bool(kwargs.get("subgraphs")),
        "durability": kwargs.get("durability") or "async",
    }
    for key in ("interrupt_before", "interrupt_after"):
        if kwargs.get(key):
            options[key] = kwargs[key]
    return options


def run_context(run):
    """The run's context: the assistant's, overridden by the request's."""
    return {**(run.assistant_context or {}), **(run.kwargs.get("context") or {})}


def _graph_context(graph, context):
    """What ``astream`` gets as ``context``: given a ``context_schema``, also an empty context, so
    that ``runtime.context`` holds the schema's defaults (as on the reference); None when the schema
    cannot be built without values (a graph that does not read its context keeps working)."""
    if context:
        return context
    schema = getattr(graph, "context_schema", None)
    if schema is None:
        return None
    try:
        from langgraph.pregel.main import _coerce_context

        _coerce_context(schema, {})
    except Exception:  # noqa: BLE001 - required fields: no default context
        return None
    return {}


def _split(item, subgraphs):
    if subgraphs:
        namespace, mode, chunk = item
        return namespace, mode, chunk
    mode, chunk = item
    return (), mode, chunk


async def stream_graph(graph, run, config, writer, *, resume=False):
    """Run the graph, emitting every frame the run's stream modes ask for.

    ``resume``: a retried attempt continues from the checkpoint its earlier attempt left."""
    options = _stream_kwargs(run)
    context = _graph_context(graph, run_context(run))
    if context is not None:
        options["context"] = context
    builder = FrameBuilder(run.kwargs["stream_mode"])
    graph_input = None if resume else build_input(run.kwargs)

    def handle(item):
        for name, data in builder.frames(*_split(item, options["subgraphs"])):
            writer.emit(name, data)

    if "events" not in run.kwargs["stream_mode"]:
        async for item in graph.astream(graph_input, config, **options):
            handle(item)
        return
    root = str(run.run_id)
    async for event in graph.astream_events(graph_input, config, version="v2", **options):
        if event["event"] == "on_chain_stream" and event["run_id"] == root:
            # the root graph's output goes out once: as the frames of the run's other stream modes
            handle(event["data"]["chunk"])
            continue
        writer.emit("events", event)


async def final_state(graph_id: str, config: dict) -> dict:
    """The thread's state after the run, as its row mirrors it (``threads.snapshots.thread_mirror``)."""
    cp, store = await persistence.get_checkpointer(), await persistence.get_store()
    async with registry.graph(graph_id, config=config, checkpointer=cp, store=store) as graph:
        return await mirror_of(graph, config)


async def mirror_of(graph, config: dict) -> dict:
    """``final_state`` read through ``graph`` (the run's own: a factory is not called again)."""
    from threads.snapshots import snapshot_json, thread_mirror

    state_config = {"configurable": {"thread_id": config["configurable"]["thread_id"], "checkpoint_ns": ""}}
    return thread_mirror(snapshot_json(await graph.aget_state(state_config)))


async def rollback_checkpoints(run):
    """Undo what the run wrote to the checkpointer: the head goes back to the checkpoint before the
    run's first one (a copy of it becomes the new head), or the thread's checkpoints go if the run
    wrote the first of them."""
    cp = await persistence.get_checkpointer()
    thread_id = str(run.thread_id)
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    first = None
    async for saved in cp.alist(config, filter={"run_id": str(run.run_id)}):
        first = saved  # newest first: the last one is the run's first checkpoint
    if first is None:
        return
    if not first.parent_config:
        await cp.adelete_thread(thread_id)
        return
    before = first.parent_config["configurable"]["checkpoint_id"]
    store = await persistence.get_store()
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": before}}
    async with registry.graph(run.graph_id, config=config, checkpointer=cp, store=store,
                              access_context="threads.update") as graph:
        await graph.aupdate_state(config, None, as_node="__copy__")


async def latest_checkpoint(thread_id):
    """(checkpoint_id, run_id that wrote it) of the thread's head checkpoint, or (None, None)."""
    cp = await persistence.get_checkpointer()
    found = await cp.aget_tuple({"configurable": {"thread_id": str(thread_id), "checkpoint_ns": ""}})
    if not found:
        return None, None
    return found.config["configurable"]["checkpoint_id"], (found.metadata or {}).get("run_id")


class RunOutcome:
    def __init__(self):
        self.status: RunStatus = RunStatus.SUCCESS
        self.error: dict | None = None
        self.cancel_action: str = ""  # CancelAction, or SHUTDOWN
        self.last_seq: int | None = None  # the run's last stored event (when every batch was stored)
        self.graph_done = False  # the graph returned: a cancel from then on changes nothing
        self.mirror: dict | None = None  # the thread's mirror, read through the run's graph once it returned


async def execute(run: ClaimedRun, *, control) -> RunOutcome:
    """Execute ``run``; ``control.cancel_action`` says why it was cancelled, if it was."""
    # The metadata frame was stored with the claim (runs.lifecycle.claim_run); the writer continues after it.
    # A batch of events that cannot be stored stops the graph: the run ends as an error, not with a hole.
    writer = EventWriter(thread_id=run.thread_id, run_id=run.run_id, start_seq=run.start_seq,
                         on_failure=lambda exc: control.task and control.task.cancel())
    config = build_config(run)
    outcome = RunOutcome()
    resume = False
    if run.attempt > 1:  # a retry continues from its earlier attempt's checkpoint, if it left one
        _, written_by = await latest_checkpoint(run.thread_id)
        resume = written_by == str(run.run_id)

    async def body():
        cp, store = await persistence.get_checkpointer(), await persistence.get_store()
        async with registry.graph(run.graph_id, config=config, checkpointer=cp, store=store,
                                  access_context="threads.create_run", context=run_context(run)) as graph:
            await stream_graph(graph, run, config, writer, resume=resume)
            outcome.graph_done = True
            try:
                outcome.mirror = await mirror_of(graph, config)
            except Exception:  # noqa: BLE001 - read again after the run (_final_mirror)
                logger.warning("run %s: reading the final state failed", run.run_id, exc_info=True)

    control.task = asyncio.get_running_loop().create_task(body())
    if control.cancel_action:
        control.task.cancel()
    try:
        await control.task
    except asyncio.CancelledError:
        if not outcome.graph_done:
            outcome.status = RunStatus.INTERRUPTED
            outcome.cancel_action = control.cancel_action or CancelAction.INTERRUPT
    except Exception as exc:  # noqa: BLE001 - a node's failure is the run's outcome
        outcome.status = RunStatus.ERROR
        error = {"error": type(exc).__name__, "message": str(exc)}
        writer.emit("error", error)
        # The stored error (the admin's, `manage.py runs show`) also keeps the traceback; the stream's
        # error event stays the API's {"error", "message"}.
        outcome.error = {**error, "traceback": "".join(traceback.format_exception(exc))[-TRACEBACK_CHARS:]}
    await writer.aclose()
    if writer.error is not None and not control.cancel_action:
        outcome.status = RunStatus.ERROR
        outcome.error = {"error": type(writer.error).__name__, "message": str(writer.error)}
        outcome.cancel_action = ""
    outcome.last_seq = writer.last_seq
    if outcome.cancel_action != SHUTDOWN:
        await _record(run, config, outcome)
    return outcome


async def _record(run: ClaimedRun, config: dict, outcome: RunOutcome) -> None:
    if outcome.cancel_action == CancelAction.ROLLBACK:
        await rollback_checkpoints(run)
        await _write_end(run, lambda: lifecycle.rollback_run(run_id=run.run_id, thread_id=run.thread_id))
        await notify.arun_finished(thread_id=run.thread_id, run_id=run.run_id, status=RunStatus.INTERRUPTED)
        return
    mirror = outcome.mirror if outcome.mirror is not None else await _final_mirror(run, config)
    finished = await _write_end(run, lambda: lifecycle.finish_run(
        run_id=run.run_id, thread_id=run.thread_id, status=outcome.status, error=outcome.error, mirror=mirror,
    ), committed=lambda: lifecycle.attempt_ended(run_id=run.run_id, attempt=run.attempt, status=outcome.status))
    if not finished:  # no longer running: its lease expired and it was retried or failed meanwhile
        logger.warning("run %s was no longer running when attempt %s ended", run.run_id, run.attempt)
        return
    await notify.arun_finished(thread_id=run.thread_id, run_id=run.run_id, status=outcome.status,
                               last_seq=outcome.last_seq)


async def _final_mirror(run: ClaimedRun, config: dict) -> dict:
    """The thread's mirror of the state the run left, read again after a failure (a checkpointer
    connection lost at that moment); if it still fails (e.g. a factory that fails), the thread keeps
    its values."""
    for delay in (0.0, *END_RETRY_DELAYS[:3]):
        if delay:
            await asyncio.sleep(delay)
        try:
            return await final_state(run.graph_id, config)
        except Exception:  # noqa: BLE001
            logger.warning("run %s: reading the final state failed", run.run_id, exc_info=True)
    from threads.snapshots import thread_mirror

    return thread_mirror(None)


async def _write_end(run: ClaimedRun, write, *, committed=None):
    """``write()`` (the run's end, in one transaction) through ``db()``, tried again after a database
    error (a terminated connection, a restart) instead of leaving the run running until its lease
    expires and it is retried. ``committed()`` says whether a failed try committed before its
    answer was lost (then it is not written twice)."""
    last_exc = None
    for attempt, delay in enumerate((0.0, *END_RETRY_DELAYS)):
        if delay:
            await asyncio.sleep(delay)
        try:
            if attempt and committed is not None and await db(committed)():
                return True
            return await db(write)()
        except DatabaseError as exc:
            last_exc = exc
            logger.warning("run %s: writing its end failed (try %s): %s", run.run_id, attempt + 1, exc)
    raise last_exc
