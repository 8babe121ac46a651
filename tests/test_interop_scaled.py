"""Interop in scaled mode: an API server that executes nothing and a `manage.py worker` process.
MCP and A2A calls are run by the worker; /metrics counts the worker from its heartbeat."""
import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from a2a.client import ClientConfig, create_client
from a2a.helpers.proto_helpers import get_artifact_text, new_text_message
from a2a.types.a2a_pb2 import Role, SendMessageRequest, TaskState
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import GRAPHS_CONFIG, ROOT
from tests.interop_live import start_server
from tests.test_interop_metrics import scrape, value

pytestmark = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
    reason="scaled mode needs DATABASE_URL=postgres://… and REDIS_URL",
)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    server = start_server(GRAPHS_CONFIG, "scaled", AGENTSERVER_EXECUTOR="worker",
                          AGENTSERVER_WORKER_CONCURRENCY="4", AGENTSERVER_EXECUTOR_HEARTBEAT_SECONDS="1")
    log = open(tmp_path_factory.mktemp("worker") / "worker.log", "ab")
    worker = subprocess.Popen([sys.executable, "manage.py", "worker", "--worker-id", "interop-worker"],
                              cwd=ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT)
    yield server
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
    server.stop()


def test_worker_is_counted_and_runs_mcp_and_a2a_calls(scaled):
    deadline = time.monotonic() + 60
    samples = scrape(scaled.url)
    while value(samples, "lg_api_workers") < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
        samples = scrape(scaled.url)
    assert value(samples, "lg_api_workers") == 1 and value(samples, "lg_api_workers_max") == 4

    async def call():
        async with streamable_http_client(f"{scaled.url}/mcp") as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("echo", {"messages": [{"type": "human", "content": "scaled"}]})

    import asyncio

    result = asyncio.run(call())
    assert result.structured_content["messages"][-1]["content"] == "echo: scaled"

    async def a2a():
        client = await create_client(f"{scaled.url}/a2a/echo", client_config=ClientConfig(streaming=True))
        async with client:
            message = new_text_message("over a2a", role=Role.ROLE_USER)
            return [r async for r in client.send_message(SendMessageRequest(message=message))]

    responses = asyncio.run(a2a())
    assert responses[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
    artifact = next(r.artifact_update.artifact for r in responses if r.HasField("artifact_update"))
    assert get_artifact_text(artifact) == "echo: over a2a"
    runs = httpx.get(f"{scaled.url}/metrics", params={"format": "json"}, timeout=30).json()["runs"]
    assert any(r["graph_id"] == "echo" and r["status"] == "success" for r in runs)
    assert uuid.UUID(responses[-1].status_update.task_id)
