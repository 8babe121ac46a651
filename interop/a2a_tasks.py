"""A2A <-> LangGraph mapping: a context is a thread, a task is a run (a2a-sdk's protobuf types).

- ``message.contextId`` is the ``thread_id`` (a new thread when omitted or unknown);
- text parts become a human message of ``messages``; data parts are merged into the input;
- a run's status is the task's state; its final values are the task's artifact: the last AI
  message's text when the output has ``messages``, else the values as a data part.
"""
import uuid

from a2a.helpers.proto_helpers import get_data_parts, get_text_parts, new_data_part, new_text_part
from a2a.types.a2a_pb2 import Artifact, Message, Role, Task, TaskState, TaskStatus
from a2a.utils.errors import InvalidParamsError
from google.protobuf.timestamp_pb2 import Timestamp

from agentserver.ids import parse_uuid
from interop import runner

STATES = {
    "pending": TaskState.TASK_STATE_SUBMITTED,
    "running": TaskState.TASK_STATE_WORKING,
    "success": TaskState.TASK_STATE_COMPLETED,
    "error": TaskState.TASK_STATE_FAILED,
    "timeout": TaskState.TASK_STATE_FAILED,
    "interrupted": TaskState.TASK_STATE_CANCELED,
}
FINAL_STATES = (TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
                TaskState.TASK_STATE_INPUT_REQUIRED)


def context_thread_id(message):
    """The thread of the message's context: its id when it is a UUID, else a new one."""
    if message.context_id:
        parsed = parse_uuid(message.context_id)
        if parsed is None:
            raise InvalidParamsError(message=f"contextId must be a UUID (a thread id), got {message.context_id!r}")
        return parsed
    return uuid.uuid4()


def _whole_numbers(value):
    """Protobuf's Value holds every number as a double: give whole numbers back their JSON int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def run_input(message):
    """The graph input of an A2A message (text and data parts; other parts are refused)."""
    if not message.parts:
        raise InvalidParamsError(message="message.parts must not be empty")
    for part in message.parts:
        if not (part.HasField("text") or part.HasField("data")):
            raise InvalidParamsError(message="Only text and data parts are supported")
    graph_input = {}
    for data in get_data_parts(message.parts):
        if not isinstance(data, dict):
            raise InvalidParamsError(message="A data part must hold a JSON object")
        graph_input.update(_whole_numbers(data))
    texts = get_text_parts(message.parts)
    if texts:
        human = {"type": "human", "content": "\n".join(texts)}
        if message.message_id:
            human["id"] = message.message_id
        graph_input["messages"] = [*graph_input.get("messages", []), human]
    return graph_input


def resume_value(message):
    """What a message answers to an interrupted graph: its data (an object) or its text."""
    run_input(message)  # the same validation
    data = [_whole_numbers(d) for d in get_data_parts(message.parts)]
    if data:
        return {key: value for item in data for key, value in item.items()}
    return "\n".join(get_text_parts(message.parts))


def _interrupt_parts(interrupts):
    values = [item.get("value") if isinstance(item, dict) else item for item in interrupts]
    if all(isinstance(value, str) for value in values):
        return [new_text_part("\n".join(values))]
    return [new_data_part(value) for value in values]


def _text_of(content):
    if isinstance(content, list):  # content blocks
        return "".join(block.get("text", "") for block in content if isinstance(block, dict))
    return str(content)


def ai_messages(values):
    """``[(key, text)]`` of the AI messages in a ``values`` event (key: the message id or position)."""
    messages = values.get("messages") if isinstance(values, dict) else None
    return [(item.get("id") or index, _text_of(item.get("content")))
            for index, item in enumerate(messages or [])
            if isinstance(item, dict) and item.get("type") in ("ai", "AIMessageChunk")]


def working_message(*, text, context_id, task_id):
    return _agent_message(text=text, context_id=context_id, task_id=task_id)


def _last_ai_text(output):
    found = ai_messages(output)
    return found[-1][1] if found else None


def artifact_of(*, run_id, output):
    text = _last_ai_text(output)
    part = new_text_part(text) if text is not None else new_data_part(output if output is not None else {})
    return Artifact(artifact_id=f"{run_id}-output", name="output", parts=[part])


def _agent_message(*, text, context_id, task_id):
    return Message(message_id=str(uuid.uuid4()), role=Role.ROLE_AGENT, parts=[new_text_part(text)],
                   context_id=context_id, task_id=task_id)


def status_of(*, run, status, output):
    """TaskStatus of a run with ``status``/``output``: failed runs say why, interrupted graphs ask."""
    state = STATES.get(status, TaskState.TASK_STATE_UNSPECIFIED)
    ids = {"context_id": str(run.thread_id), "task_id": str(run.run_id)}
    message = None
    error = runner.error_of(output)
    if error is not None:
        state = TaskState.TASK_STATE_FAILED
        message = _agent_message(text=f"{error.get('error')}: {error.get('message')}", **ids)
    elif state == TaskState.TASK_STATE_COMPLETED and isinstance(output, dict) and output.get("__interrupt__"):
        state = TaskState.TASK_STATE_INPUT_REQUIRED  # the graph waits: the next message resumes it
        message = _agent_message(text="", **ids)
        del message.parts[:]
        message.parts.extend(_interrupt_parts(output["__interrupt__"]))
    timestamp = Timestamp()
    timestamp.FromDatetime(run.ended_at or run.updated_at or run.created_at)
    status_obj = TaskStatus(state=state, timestamp=timestamp)
    if message is not None:
        status_obj.message.CopyFrom(message)
    return status_obj


def task_of(*, run, status, output, history=()):
    status_obj = status_of(run=run, status=status, output=output)
    task = Task(id=str(run.run_id), context_id=str(run.thread_id), status=status_obj, history=list(history))
    if status_obj.state == TaskState.TASK_STATE_COMPLETED:
        task.artifacts.append(artifact_of(run_id=run.run_id, output=output))
    return task


def input_message_of(run):
    """The user message a run was started with (its task's history), rebuilt from its input."""
    graph_input = (run.kwargs or {}).get("input") or {}
    messages = graph_input.get("messages") if isinstance(graph_input, dict) else None
    human = next((m for m in reversed(messages or []) if isinstance(m, dict) and m.get("type") == "human"), None)
    parts = [new_text_part(str(human.get("content")))] if human else [new_data_part(graph_input)]
    return Message(message_id=(human or {}).get("id") or f"{run.run_id}-input", role=Role.ROLE_USER, parts=parts,
                   context_id=str(run.thread_id), task_id=str(run.run_id))
