"""The runs app's part of the OpenAPI document (a drf-spectacular post-processing hook): run-create
bodies, the streaming routes (served by consumers, which no view describes) and list responses."""
from agentserver.openapi import OBJECT, array_of, operation, ref, set_body, set_response
from runs.models import RunStatus
from runs.protocol_v2 import CHANNELS
from runs.serializers import MULTITASK_STRATEGIES, STREAM_MODES

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
        "after_seconds": {"type": "number", "minimum": 0, "nullable": True},
        "interrupt_before": NODES, "interrupt_after": NODES,
        "webhook": {"type": "string", "nullable": True},
        "feedback_keys": {"type": "array", "items": {"type": "string"}, "nullable": True},
        "durability": {"type": "string", "enum": ["sync", "async", "exit"], "nullable": True},
        "checkpoint_during": {"type": "boolean", "nullable": True},
    },
}
RUN_CREATE_STATELESS = {**RUN_CREATE, "properties": {
    **RUN_CREATE["properties"], "on_completion": {"type": "string", "enum": ["delete", "keep"]}}}
UUID = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}
RUN = {
    "type": "object",
    "properties": {
        "run_id": UUID, "thread_id": UUID, "assistant_id": UUID,
        "created_at": DATE_TIME, "updated_at": DATE_TIME,
        "status": {"type": "string", "enum": list(RunStatus.values)},
        "metadata": OBJECT, "kwargs": OBJECT, "multitask_strategy": {"type": "string"},
        "langsmith_session_name": {"type": "string", "nullable": True},
    },
    "required": ["run_id", "thread_id", "assistant_id", "created_at", "updated_at", "status", "metadata",
                 "kwargs", "multitask_strategy"],
}
RUNS_CANCEL = {
    "type": "object",
    "properties": {"thread_id": {**UUID, "nullable": True}, "run_ids": {**array_of(UUID), "nullable": True},
                   "status": {"type": "string", "enum": ["pending", "running", "all"], "nullable": True}},
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


EVENT_STREAM_REQUEST = {  # protocol v2 (the reference's ProtocolEventStreamRequest)
    "type": "object", "required": ["channels"],
    "properties": {"channels": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(CHANNELS)}},
                   "namespaces": {"type": "array", "items": {"type": "array", "items": {"type": "string"}},
                                  "nullable": True},
                   "depth": {"type": "integer", "minimum": 0, "nullable": True},
                   "since": {"type": "integer", "minimum": 0, "nullable": True}},
}
ACTION = {"name": "action", "in": "query", "required": False,
          "schema": {"type": "string", "enum": ["interrupt", "rollback"], "default": "interrupt"}}
WAIT = {"name": "wait", "in": "query", "required": False, "schema": {"type": "boolean", "default": False}}


def _describe_json_routes(result):
    stateful, stateless, run = ref("RunCreateStateful"), ref("RunCreateStateless"), ref("Run")
    for path, body in (("/threads/{thread_id}/runs", stateful), ("/runs", stateless)):
        set_body(result, path, "post", body)
        set_response(result, path, "post", run)
    set_body(result, "/runs/batch", "post", array_of(stateless))
    set_response(result, "/runs/batch", "post", array_of(run))
    set_response(result, "/threads/{thread_id}/runs", "get", array_of(run))
    set_response(result, "/threads/{thread_id}/runs/{run_id}", "get", run)
    set_response(result, "/threads/{thread_id}/runs/{run_id}", "delete", None, status="204", description="Deleted")
    set_response(result, "/runs/{run_id}", "get", run)
    cancel = set_response(result, "/threads/{thread_id}/runs/{run_id}/cancel", "post", None, status="202",
                          description="Cancel requested (without wait)")
    cancel["responses"]["200"] = {"description": "Cancelled (with wait=true)",
                                  "content": {"application/json": {"schema": OBJECT}}}
    cancel["parameters"] = [THREAD_ID, RUN_ID, WAIT, ACTION]
    set_body(result, "/runs/cancel", "post", ref("RunsCancel"))
    set_response(result, "/runs/cancel", "post", None, status="204", description="Cancelled")
    operation(result, "/runs/cancel", "post")["parameters"] = [ACTION]
    set_body(result, "/threads/{thread_id}/commands", "post", OBJECT)
    set_response(result, "/threads/{thread_id}/commands", "post", OBJECT, description="A protocol v2 response")


def describe_runs(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(RunCreateStateful=RUN_CREATE, RunCreateStateless=RUN_CREATE_STATELESS, Run=RUN,
                   RunsCancel=RUNS_CANCEL)
    schemas.pop("RunCreate", None)
    _describe_json_routes(result)
    run_create, stateless_create = ref("RunCreateStateful"), ref("RunCreateStateless")
    # the consumers' routes
    _stream(result, "/threads/{thread_id}/runs/stream", "post", summary="Create a run and stream it",
            parameters=[THREAD_ID], body=run_create)
    _stream(result, "/runs/stream", "post", summary="Create a stateless run and stream it", body=stateless_create)
    _stream(result, "/threads/{thread_id}/runs/wait", "post", summary="Create a run and wait for its values",
            parameters=[THREAD_ID], body=run_create, json=True)
    _stream(result, "/runs/wait", "post", summary="Create a stateless run and wait for its values",
            body=stateless_create, json=True)
    stream_mode = {"name": "stream_mode", "in": "query", "required": False, "schema": {"type": "string"}}
    cancel = {"name": "cancel_on_disconnect", "in": "query", "required": False, "schema": {"type": "boolean"}}
    _stream(result, "/threads/{thread_id}/runs/{run_id}/stream", "get", summary="Join a run's stream",
            parameters=[THREAD_ID, RUN_ID, LAST_EVENT_ID, stream_mode, cancel])
    _stream(result, "/runs/{run_id}/stream", "get", summary="Join a stateless run's stream",
            parameters=[RUN_ID, LAST_EVENT_ID, stream_mode, cancel])
    _stream(result, "/threads/{thread_id}/runs/{run_id}/join", "get", summary="Wait for a run's values",
            parameters=[THREAD_ID, RUN_ID], json=True)
    _stream(result, "/threads/{thread_id}/stream/events", "post", summary="Stream a thread's events",
            parameters=[THREAD_ID, LAST_EVENT_ID], body=EVENT_STREAM_REQUEST)
    return result
