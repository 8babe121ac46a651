"""MCP at ``/mcp``: every assistant is a tool, served by the official ``mcp`` package.

Streamable HTTP, stateless and with JSON responses, as the reference serves it: ``tools/list`` lists
the assistants (name, description, the graph's input JSON schema); ``tools/call`` runs the assistant
as a stateless run with the arguments as input and returns the run's final values (as JSON text
and as structured content). A run that fails is a tool result with ``isError``; an unknown tool or
bad arguments are MCP errors.
"""
import asyncio
import logging
import re

import mcp.types as types
import orjson
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError

import agentserver
from agentserver.api.exceptions import ServiceError
from agentserver.db import db
from agentserver.graphs import registry
from assistants.introspection import get_schemas
from assistants.selectors import search_assistants
from interop import runner

logger = logging.getLogger(__name__)
TOOL_NAME = re.compile(r"[^A-Za-z0-9_.-]")
MAX_TOOLS = 1000


def _tool_name(assistant, taken):
    name = TOOL_NAME.sub("_", assistant.name or assistant.graph_id)[:64] or assistant.graph_id
    if name in taken:
        name = f"{name[:55]}_{assistant.assistant_id.hex[:8]}"
    return name


def _input_schema(assistant):
    try:
        schema = get_schemas(assistant=assistant)["input_schema"]
    except Exception:  # noqa: BLE001 - a graph that cannot be inspected still is a tool
        logger.warning("no input schema for assistant %s", assistant.assistant_id, exc_info=True)
        schema = None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return {"type": "object", "additionalProperties": True}
    return schema


def tool_table():
    """``{tool name: (assistant, Tool)}`` for every assistant of a registered graph (sync)."""
    assistants, _ = search_assistants(limit=MAX_TOOLS, sort_by="created_at", sort_order="asc")
    table = {}
    for assistant in assistants:
        if assistant.graph_id not in registry.specs:
            continue
        name = _tool_name(assistant, table)
        description = assistant.description or f"Run the '{assistant.graph_id}' graph ({assistant.name})."
        tool = types.Tool(name=name, description=description, inputSchema=_input_schema(assistant))
        table[name] = (assistant, tool)
    return table


async def list_tools(ctx, params):
    table = await db(tool_table)()
    return types.ListToolsResult(tools=[tool for _, tool in table.values()])


async def call_tool(ctx, params):
    table = await db(tool_table)()
    if params.name not in table:
        raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {params.name!r}")
    assistant, _ = table[params.name]
    arguments = params.arguments if params.arguments is not None else {}
    if not isinstance(arguments, dict):
        raise MCPError(code=types.INVALID_PARAMS, message="Tool arguments must be an object")
    payload = {"assistant_id": str(assistant.assistant_id), "input": arguments}
    try:
        _, status, output = await runner.run_and_wait(payload=payload)
    except ServiceError as exc:
        raise MCPError(code=types.INVALID_PARAMS, message=str(exc.detail)) from None
    error = runner.error_of(output)
    if error is not None or status != "success":
        message = f"{error['error']}: {error['message']}" if error else f"Run ended with status {status}"
        return types.CallToolResult(content=[types.TextContent(type="text", text=message)], isError=True)
    text = orjson.dumps(output, default=str).decode()
    structured = output if isinstance(output, dict) else {"result": output}
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structuredContent=structured)


class MCPApp:
    """ASGI app for ``/mcp``; the session manager's task group runs on the serving loop, started
    by the first request (daphne sends no lifespan events)."""

    def __init__(self):
        self.server = Server("agentserver", version=agentserver.__version__,
                             on_list_tools=list_tools, on_call_tool=call_tool)
        self.manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)
        self._started = None

    async def _run_manager(self, started):
        try:
            async with self.manager.run():
                started.set_result(None)
                await asyncio.Event().wait()
        except Exception as exc:  # noqa: BLE001 - requests waiting for the start get the error
            logger.exception("MCP session manager stopped")
            if not started.done():
                started.set_exception(exc)

    async def __call__(self, scope, receive, send):
        if scope["method"] in ("GET", "DELETE"):
            # Stateless (as the reference): no server-initiated stream, no session to terminate.
            status, message = (405, "Method Not Allowed") if scope["method"] == "GET" else (404, "Session not found")
            return await _json_rpc_error(send, status, message)
        if self._started is None:
            loop = asyncio.get_running_loop()
            self._started = loop.create_future()
            self._task = loop.create_task(self._run_manager(self._started))
        await self._started
        await self.manager.handle_request(scope, receive, send)


async def _json_rpc_error(send, status, message):
    body = orjson.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": types.INVALID_REQUEST, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 405:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


mcp_app = MCPApp()
