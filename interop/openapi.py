"""drf-spectacular post-processing hook: the interop endpoints in ``/openapi.json`` (MCP and A2A
are ASGI apps, not Django views, so the generator cannot see them)."""

JSON_RPC_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "A JSON-RPC 2.0 request.",
    "properties": {"jsonrpc": {"type": "string", "enum": ["2.0"]}, "id": {}, "method": {"type": "string"},
                   "params": {"type": "object"}}, "required": ["jsonrpc", "method"]}}}}
ASSISTANT_ID = {"name": "assistant_id", "in": "path", "required": True, "schema": {"type": "string"},
                "description": "An assistant's UUID, or a graph name (its system assistant)."}


def _op(operation_id, summary, tags, responses, **extra):
    return {"operationId": operation_id, "summary": summary, "tags": tags,
            "responses": {str(code): {"description": text} for code, text in responses.items()}, **extra}


def _paths():
    card = _op("get_a2a_agent_card", "A2A agent card", ["A2A"], {200: "The agent card", 404: "No such assistant"},
               parameters=[ASSISTANT_ID])
    return {
        "/metrics": {"get": _op("system_metrics", "System Metrics", ["System"], {200: "Metrics"}, parameters=[
            {"name": "format", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["prometheus", "json"], "default": "prometheus"}}])},
        "/docs": {"get": _op("docs", "API Documentation", ["System"], {200: "Swagger UI (HTML)"})},
        "/mcp/": {
            "post": _op("post_mcp", "MCP Post", ["MCP"], {200: "JSON-RPC response", 202: "Notification accepted",
                                                          400: "Bad request"},
                        description="Streamable HTTP transport, stateless: every assistant is a tool.",
                        requestBody=JSON_RPC_BODY),
            "get": _op("get_mcp", "MCP Get", ["MCP"], {405: "No server-initiated stream (stateless)"}),
            "delete": _op("delete_mcp", "Terminate Session", ["MCP"], {404: "No sessions (stateless)"}),
        },
        "/a2a/{assistant_id}": {"post": _op(
            "post_a2a", "A2A JSON-RPC", ["A2A"], {200: "JSON-RPC response, or SSE for message/stream",
                                                  404: "No such assistant"},
            description="message/send, message/stream, tasks/get, tasks/cancel (A2A 0.3) and their A2A 1.0 "
                        "names. contextId is a thread_id; a task is a run.",
            parameters=[ASSISTANT_ID], requestBody=JSON_RPC_BODY)},
        "/a2a/{assistant_id}/.well-known/agent-card.json": {"get": card},
    }


def add_interop_paths(result, generator, request, public):
    result.setdefault("paths", {}).update(_paths())
    return result
