"""The threads app's part of the OpenAPI document (a drf-spectacular post-processing hook): the
Thread and ThreadState objects and the routes that answer them."""
from agentserver.openapi import OBJECT, array_of, partial, ref, set_response
from threads.models import ThreadStatus

UUID = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}
ANY_NULLABLE = {"nullable": True}
THREAD = {
    "type": "object",
    "properties": {
        "thread_id": UUID, "created_at": DATE_TIME, "updated_at": DATE_TIME,
        "state_updated_at": {**DATE_TIME, "nullable": True},
        "metadata": OBJECT, "status": {"type": "string", "enum": list(ThreadStatus.values)},
        "config": OBJECT, "values": ANY_NULLABLE, "error": ANY_NULLABLE,
        "interrupts": {"type": "object", "additionalProperties": array_of(OBJECT)},
        "extracted": OBJECT,
    },
    "required": ["thread_id", "created_at", "updated_at", "metadata", "status"],
}
CHECKPOINT = {
    "type": "object", "nullable": True,
    "properties": {"thread_id": {"type": "string"}, "checkpoint_ns": {"type": "string"},
                   "checkpoint_id": {"type": "string"}, "checkpoint_map": {"type": "object", "nullable": True}},
}
THREAD_STATE = {
    "type": "object",
    "properties": {
        "values": {"oneOf": [OBJECT, array_of({})]},
        "next": array_of({"type": "string"}),
        "tasks": array_of(OBJECT),
        "metadata": {**OBJECT, "nullable": True},
        "created_at": {**DATE_TIME, "nullable": True},
        "checkpoint": CHECKPOINT, "parent_checkpoint": CHECKPOINT,
        "interrupts": array_of(OBJECT),
        "checkpoint_id": {"type": "string", "nullable": True},
        "parent_checkpoint_id": {"type": "string", "nullable": True},
    },
    "required": ["values", "next", "tasks", "checkpoint", "metadata", "created_at"],
}
STATE_UPDATED = {"type": "object", "properties": {"checkpoint": OBJECT}, "required": ["checkpoint"]}
STREAM_PARAMETERS = [
    {"name": "thread_id", "in": "path", "required": True, "schema": UUID},
    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"}},
    {"name": "stream_modes", "in": "query", "required": False, "schema": {"type": "string"}},
]


def describe_threads(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        Thread=THREAD, ThreadState=THREAD_STATE, ThreadStateUpdateResponse=STATE_UPDATED)
    thread, state = ref("Thread"), ref("ThreadState")
    for path, method in (("/threads", "post"), ("/threads/{thread_id}", "get"), ("/threads/{thread_id}", "patch"),
                         ("/threads/{thread_id}/copy", "post")):
        set_response(result, path, method, thread)
    set_response(result, "/threads/{thread_id}", "delete", None, status="204", description="Deleted")
    set_response(result, "/threads/search", "post", array_of(partial(THREAD)))  # `select` may leave fields out
    set_response(result, "/threads/count", "post", {"type": "integer"})
    set_response(result, "/threads/prune", "post", {"type": "object", "properties": {"pruned_count": {"type": "integer"}}})
    for path in ("/threads/{thread_id}/state", "/threads/{thread_id}/state/{checkpoint_id}"):
        set_response(result, path, "get", state)
    set_response(result, "/threads/{thread_id}/state/checkpoint", "post", state)
    set_response(result, "/threads/{thread_id}/state", "post", ref("ThreadStateUpdateResponse"))
    set_response(result, "/threads/{thread_id}/history", "get", array_of(state))
    set_response(result, "/threads/{thread_id}/history", "post", array_of(state))
    operation = set_response(result, "/threads/{thread_id}/stream", "get",
                             {"type": "string", "description": "Server-sent events of the thread, until closed"},
                             content_type="text/event-stream", description="Follow a thread's events")
    operation.update({"operationId": "get_threads_thread_id_stream", "summary": "Follow a thread's events",
                      "tags": ["threads"], "parameters": STREAM_PARAMETERS})
    return result
