"""The runs app's part of the OpenAPI document (a drf-spectacular post-processing hook): run-create
bodies, the streaming routes (served by consumers, which no view describes) and list responses."""
from agentserver.openapi import array_of, set_response
from runs.models import RunStatus
from runs.serializers import MULTITASK_STRATEGIES, STREAM_MODES

OBJECT = {"type": "object", "additionalProperties": True}
STREAM_MODE = {"oneOf": [{"type": "string", "enum": list(STREAM_MODES)},
                         {"type": "array", "items": {"type": "string", "enum": list(STREAM_MODES)}}]}
NODES = {"oneOf": [{"type": "string", "enum": ["*"]}, {"type": "array", "items": {"type": "string"}}]}
RUN_CREATE = {
    "type": "object",
    "required": ["assistant_id"],
    "properties": {
        "assistant_id": {"type": "string", "description": "An assistant id, or a graph id"},
        "input": {"description": "The graph's input (any JSON)"},
        "command": {"type": "object", "properties": {"update": {}, "resume": {}, "goto": {}}},
        "checkpoint": OBJECT, "checkpoint_id": {"type": "string", "nullable": True},
        "config": OBJECT, "context": OBJECT, "metadata": OBJECT,
        "stream_mode": STREAM_MODE,
        "stream_subgraphs": {"type": "boolean"}, "stream_resumable": {"type": "boolean"},
        "on_disconnect": {"type": "string", "enum": ["cancel", "continue"]},
        "multitask_strategy": {"type": "string", "enum": list(MULTITASK_STRATEGIES)},
        "if_not_exists": {"type": "string", "enum": ["create", "reject"]},
        "on_completion": {"type": "string", "enum": ["delete", "keep"]},
        "after_seconds": {"type": "number", "minimum": 0, "nullable": True},
        "interrupt_before": NODES, "interrupt_after": NODES,
        "webhook": {"type": "string", "nullable": True},
        "feedback_keys": {"type": "array", "items": {"type": "string"}, "nullable": True},
        "durability": {"type": "string", "enum": ["sync", "async", "exit"], "nullable": True},
        "checkpoint_during": {"type": "boolean", "nullable": True},
    },
}
RUN = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string", "format": "uuid"}, "thread_id": {"type": "string", "format": "uuid"},
        "assistant_id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": list(RunStatus.values)},
        "metadata": OBJECT, "kwargs": OBJECT, "multitask_strategy": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    },
    "required": ["run_id", "thread_id", "status"],
}
THREAD_ID = {"name": "thread_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
LAST_EVENT_ID = {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "Resume after this event id (-1: from the start)"}
SSE = {"type": "string", "description": "Server-sent events: metadata, the stream modes' events, error"}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _stream(result, path, method, *, summary, parameters=(), body=None, json=False):
    operation = set_response(result, path, method, OBJECT if json else SSE,
                             content_type="application/json" if json else "text/event-stream", description=summary)
    operation.update({"operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
                      "summary": summary, "tags": ["runs"]})
    if parameters:
        operation["parameters"] = list(parameters)
    if body is not None:
        operation["requestBody"] = _body(body)


def describe_runs(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["RunCreate"], schemas["Run"] = RUN_CREATE, RUN
    run_create, run = {"$ref": "#/components/schemas/RunCreate"}, {"$ref": "#/components/schemas/Run"}
    paths = result.setdefault("paths", {})
    # the JSON views: bodies and answers
    for path in ("/threads/{thread_id}/runs", "/runs"):
        paths.setdefault(path, {}).setdefault("post", {})["requestBody"] = _body(run_create)
        set_response(result, path, "post", run)
    paths.setdefault("/runs/batch", {}).setdefault("post", {})["requestBody"] = _body(array_of(run_create))
    set_response(result, "/runs/batch", "post", array_of(run))
    set_response(result, "/threads/{thread_id}/runs", "get", array_of(run))
    set_response(result, "/threads/{thread_id}/runs/{run_id}", "get", run)
    set_response(result, "/runs/{run_id}", "get", run)
    # the consumers' routes
    _stream(result, "/threads/{thread_id}/runs/stream", "post", summary="Create a run and stream it",
            parameters=[THREAD_ID], body=run_create)
    _stream(result, "/runs/stream", "post", summary="Create a stateless run and stream it", body=run_create)
    _stream(result, "/threads/{thread_id}/runs/wait", "post", summary="Create a run and wait for its values",
            parameters=[THREAD_ID], body=run_create, json=True)
    _stream(result, "/runs/wait", "post", summary="Create a stateless run and wait for its values",
            body=run_create, json=True)
    stream_mode = {"name": "stream_mode", "in": "query", "required": False, "schema": {"type": "string"}}
    cancel = {"name": "cancel_on_disconnect", "in": "query", "required": False, "schema": {"type": "boolean"}}
    _stream(result, "/threads/{thread_id}/runs/{run_id}/stream", "get", summary="Join a run's stream",
            parameters=[THREAD_ID, RUN_ID, LAST_EVENT_ID, stream_mode, cancel])
    _stream(result, "/runs/{run_id}/stream", "get", summary="Join a stateless run's stream",
            parameters=[RUN_ID, LAST_EVENT_ID, stream_mode, cancel])
    _stream(result, "/threads/{thread_id}/runs/{run_id}/join", "get", summary="Wait for a run's values",
            parameters=[THREAD_ID, RUN_ID], json=True)
    _stream(result, "/threads/{thread_id}/stream/events", "post", summary="Stream a thread's events",
            parameters=[THREAD_ID, LAST_EVENT_ID], body=OBJECT)
    return result
