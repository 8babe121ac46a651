"""The SDK's own reconnect after a dropped connection, and webhooks."""
import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from langgraph_sdk import get_client

from tests.conftest import free_port
from tests.helpers import new_id


class DroppingProxy:
    """TCP proxy to the server that cuts the first connection after ``cut_after`` response bytes."""

    def __init__(self, target_port, cut_after):
        self.target_port = target_port
        self.cut_after = cut_after
        self.connections = 0

    async def start(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader, writer):
        self.connections += 1
        limit = self.cut_after if self.connections == 1 else None
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src, dst, budget):
            sent = 0
            try:
                while data := await src.read(4096):
                    if budget is not None and sent + len(data) > budget:
                        dst.write(data[: budget - sent])
                        break
                    dst.write(data)
                    sent += len(data)
                    await dst.drain()
            finally:
                for w in (writer, upstream_writer):
                    w.close()

        await asyncio.gather(pipe(reader, upstream_writer, None), pipe(upstream_reader, writer, limit),
                             return_exceptions=True)


async def test_sdk_reconnects_with_last_event_id_after_a_drop(agent_server, sdk):
    thread_id = new_id()
    await sdk.threads.create(thread_id=thread_id)
    proxy = await DroppingProxy(agent_server.port, cut_after=900).start()
    client = get_client(url=f"http://127.0.0.1:{proxy.port}", api_key=None)
    parts = [p async for p in client.runs.stream(thread_id, "slow", input={"n": 15, "delay": 0.03}, stream_mode="custom")]
    proxy.server.close()
    assert proxy.connections >= 2
    ticks = [p.data["tick"] for p in parts if p.event == "custom"]
    assert ticks == list(range(15))


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


async def test_webhook_receives_the_finished_run(sdk):
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        thread_id = new_id()
        await sdk.threads.create(thread_id=thread_id)
        run = await sdk.runs.create(thread_id, "steps", input={}, webhook=f"http://127.0.0.1:{port}/hook")
        for _ in range(100):
            if any(item["run_id"] == run["run_id"] for item in Receiver.received):
                break
            await asyncio.sleep(0.05)
        (payload,) = [item for item in Receiver.received if item["run_id"] == run["run_id"]]
        assert payload["status"] == "success" and payload["values"]["counter"] == 3
        failing = await sdk.runs.create(thread_id, "steps", input={}, webhook="http://127.0.0.1:1/unreachable")
        await sdk.runs.join(thread_id, failing["run_id"])
        assert (await sdk.runs.get(thread_id, failing["run_id"]))["status"] == "success"
    finally:
        server.shutdown()
