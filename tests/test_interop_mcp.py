"""MCP at /mcp, driven by the official ``mcp`` client (streamable HTTP) against the live server."""
import json

import httpx
import pytest
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import GRAPHS_CONFIG


async def session_call(base_url, work, path="/mcp"):
    async with streamable_http_client(f"{base_url}{path}") as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await work(session)


async def test_every_assistant_is_a_tool_with_its_input_schema(base_url, sdk):
    tools = (await session_call(base_url, lambda s: s.list_tools())).tools
    by_name = {tool.name: tool for tool in tools}
    # (assistants of graphs this server did not load, e.g. another server's on the same database, are no tools)
    loaded = set(json.loads(GRAPHS_CONFIG.read_text())["graphs"])
    graphs = {a["graph_id"] for a in await sdk.assistants.search(limit=100)} & loaded
    assert {"echo", "steps", "fail"} <= set(by_name) and graphs <= set(by_name)
    echo = by_name["echo"]
    assert echo.input_schema["type"] == "object" and "messages" in echo.input_schema["properties"]
    # steps' TypedDict state has no JSON schema on Python 3.11 (the API reports null): any object
    assert by_name["steps"].input_schema["type"] == "object"
    assert echo.description


async def test_call_tool_returns_the_graph_output(base_url):
    async def work(session):
        return await session.call_tool("steps", {"counter": 10})

    result = await session_call(base_url, work)
    assert not result.is_error
    assert json.loads(result.content[0].text) == {"counter": 13, "log": ["one", "two", "three"]}
    assert result.structured_content == {"counter": 13, "log": ["one", "two", "three"]}


async def test_call_tool_with_messages_and_trailing_slash_path(base_url):
    async def work(session):
        return await session.call_tool("echo", {"messages": [{"type": "human", "content": "hi mcp"}]})

    result = await session_call(base_url, work, path="/mcp/")
    messages = json.loads(result.content[0].text)["messages"]
    assert messages[-1]["content"] == "echo: hi mcp" and messages[-1]["type"] == "ai"


async def test_created_assistant_is_listed_and_callable(base_url, sdk):
    assistant = await sdk.assistants.create("steps", name="counter from five", description="Counts on.")

    async def work(session):
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert tools["counter_from_five"].description == "Counts on."
        return await session.call_tool("counter_from_five", {"counter": 5})

    try:
        result = await session_call(base_url, work)
        assert result.structured_content["counter"] == 8
    finally:
        await sdk.assistants.delete(assistant["assistant_id"])


async def test_failing_graph_is_a_tool_error(base_url):
    result = await session_call(base_url, lambda s: s.call_tool("fail", {}))
    assert result.is_error
    assert "Error" in result.content[0].text


async def test_unknown_tool_is_an_mcp_error(base_url):
    async def work(session):
        with pytest.raises(MCPError) as info:
            await session.call_tool("no_such_tool", {})
        return info.value

    error = await session_call(base_url, work)
    assert "no_such_tool" in str(error) and error.error.code == -32602


def test_protocol_errors_are_json_rpc_errors(base_url):
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    response = httpx.post(f"{base_url}/mcp", content=b"{not json", headers=headers)
    assert response.status_code == 400 and "error" in response.json()
    response = httpx.post(f"{base_url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={"accept": "text/html"})
    assert 400 <= response.status_code < 500
    assert httpx.get(f"{base_url}/mcp", headers={"accept": "text/event-stream"}).status_code == 405
    assert httpx.delete(f"{base_url}/mcp").status_code == 404
