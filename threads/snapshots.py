"""LangGraph ``StateSnapshot`` → the API's ThreadState JSON, and what a thread row mirrors of it.

    {"values", "next", "tasks", "metadata", "created_at", "checkpoint", "parent_checkpoint",
     "interrupts", "checkpoint_id", "parent_checkpoint_id"}

``checkpoint`` objects are ``{"checkpoint_id", "thread_id", "checkpoint_ns"?, "checkpoint_map"?}``,
or null when the config names no checkpoint (a thread without state).
"""
from langgraph.types import StateSnapshot

from agentserver import serde
from threads.models import ThreadStatus


def empty_state(*, checkpoint=None):
    """The state of a thread without checkpoints (or of a checkpoint that does not exist)."""
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": None,
        "created_at": None,
        "checkpoint": checkpoint,
        "parent_checkpoint": None,
        "interrupts": [],
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": None,
    }


def checkpoint_of(config):
    """The ``checkpoint`` object of a RunnableConfig; None unless it names a checkpoint."""
    configurable = (config or {}).get("configurable") or {}
    if not configurable.get("checkpoint_id") or "thread_id" not in configurable:
        return None
    checkpoint = {"checkpoint_id": configurable["checkpoint_id"], "thread_id": str(configurable["thread_id"])}
    if "checkpoint_ns" in configurable:
        checkpoint["checkpoint_ns"] = configurable["checkpoint_ns"] or ""
    if configurable.get("checkpoint_map"):
        checkpoint["checkpoint_map"] = configurable["checkpoint_map"]
    return checkpoint


def interrupt_json(interrupt):
    """State and thread interrupts are ``{"id", "value"}`` (streams add ``response_schema``)."""
    if isinstance(interrupt, dict):
        return {"id": interrupt.get("id"), "value": serde.to_jsonable(interrupt.get("value"))}
    return {"id": getattr(interrupt, "id", None), "value": serde.to_jsonable(getattr(interrupt, "value", None))}


def _error_text(error):
    if error is None or isinstance(error, str):
        return error
    if isinstance(error, BaseException):
        return repr(error)
    return str(error)


def _task_json(task):
    sub = task.state
    return {
        "id": task.id,
        "name": task.name,
        "path": serde.to_jsonable(list(task.path or ())),
        "error": _error_text(task.error),
        "interrupts": [interrupt_json(i) for i in task.interrupts or ()],
        "checkpoint": serde.to_jsonable(sub.get("configurable")) if isinstance(sub, dict) else None,
        "state": snapshot_json(sub) if isinstance(sub, StateSnapshot) else None,
        "result": serde.to_jsonable(getattr(task, "result", None)),
    }


def snapshot_json(snapshot):
    """One StateSnapshot as the API's ThreadState (JSON-safe)."""
    checkpoint = checkpoint_of(snapshot.config)
    parent = checkpoint_of(snapshot.parent_config)
    values = snapshot.values
    return {
        "values": serde.to_jsonable(values) if values is not None else {},
        "next": list(snapshot.next or ()),
        "tasks": [_task_json(task) for task in snapshot.tasks or ()],
        "metadata": serde.to_jsonable(snapshot.metadata) if snapshot.metadata is not None else None,
        "created_at": snapshot.created_at,
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "interrupts": [interrupt_json(i) for i in snapshot.interrupts or ()],
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
    }


def thread_mirror(state: dict | None) -> dict:
    """What the thread row mirrors of its latest state: values, status and interrupts by task id.

    ``status`` is interrupted while the graph waits (next nodes or interrupts), else idle; ``values``
    is None for a thread without checkpoints."""
    if state is None or state.get("checkpoint") is None:
        return {"values": None, "status": ThreadStatus.IDLE, "interrupts": {}}
    interrupts = {task["id"]: task["interrupts"] for task in state["tasks"] if task["interrupts"]}
    pending = bool(state["next"]) or bool(interrupts)
    return {
        "values": state["values"],
        "status": ThreadStatus.INTERRUPTED if pending else ThreadStatus.IDLE,
        "interrupts": interrupts,
    }
