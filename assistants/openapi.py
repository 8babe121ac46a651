"""The assistants app's part of the OpenAPI document (a drf-spectacular post-processing hook)."""
from agentserver.openapi import OBJECT, array_of, partial, ref, set_response

DATE_TIME = {"type": "string", "format": "date-time"}
ASSISTANT = {
    "type": "object",
    "properties": {
        "assistant_id": {"type": "string", "format": "uuid"}, "graph_id": {"type": "string"},
        "config": OBJECT, "context": OBJECT, "metadata": OBJECT,
        "name": {"type": "string"}, "description": {"type": "string", "nullable": True},
        "created_at": DATE_TIME, "updated_at": DATE_TIME, "version": {"type": "integer"},
    },
    "required": ["assistant_id", "graph_id", "config", "created_at", "updated_at", "metadata"],
}
VERSION = {
    "type": "object",
    "properties": {key: ASSISTANT["properties"][key] for key in (
        "assistant_id", "version", "graph_id", "config", "context", "metadata", "created_at", "name", "description")},
    "required": ["assistant_id", "version", "graph_id", "config", "metadata", "created_at"],
}


def describe_assistants(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {}).update(Assistant=ASSISTANT, AssistantVersion=VERSION)
    assistant = ref("Assistant")
    for path, method in (("/assistants", "post"), ("/assistants/{assistant_id}", "get"),
                         ("/assistants/{assistant_id}", "patch"), ("/assistants/{assistant_id}/latest", "post")):
        set_response(result, path, method, assistant)
    set_response(result, "/assistants/search", "post", array_of(partial(ASSISTANT)))  # `select` may leave fields out
    set_response(result, "/assistants/{assistant_id}/versions", "post", array_of(ref("AssistantVersion")))
    return result
