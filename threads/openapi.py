"""The threads app's part of the OpenAPI document (a drf-spectacular post-processing hook)."""
from agentserver.openapi import array_of, set_response

OBJECT = {"type": "object", "additionalProperties": True}


def describe_threads(result, generator, request, public):
    any_object = OBJECT
    set_response(result, "/threads/search", "post", array_of(any_object))
    set_response(result, "/threads/{thread_id}/history", "get", array_of(any_object))
    set_response(result, "/threads/{thread_id}/history", "post", array_of(any_object))
    operation = set_response(result, "/threads/{thread_id}/stream", "get",
                             {"type": "string", "description": "Server-sent events of the thread, until closed"},
                             content_type="text/event-stream", description="Follow a thread's events")
    operation.update({
        "operationId": "get_threads_thread_id_stream", "summary": "Follow a thread's events", "tags": ["threads"],
        "parameters": [
            {"name": "thread_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
            {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"}},
            {"name": "stream_modes", "in": "query", "required": False, "schema": {"type": "string"}},
        ],
    })
    return result
