"""A stream that ends before its run does says so: an ``error`` frame (the client can resume from
its last event id), never an end that looks like the run's end."""
import asyncio

import orjson
import pytest
from channels.testing import HttpCommunicator
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings

from runs.models import RunStatus
from streaming import follow
from tests.factories import make_events, make_run
from tests.helpers import parse_sse


@pytest.fixture
def router():
    from django.core.asgi import get_asgi_application

    from agentserver.routing import http_router

    return http_router(get_asgi_application())


async def read_until(communicator, predicate, timeout=10):
    body = b""
    async with asyncio.timeout(timeout):
        while True:
            message = await communicator.receive_output(timeout)
            if message["type"] == "http.response.body":
                body += message.get("body", b"")
                if predicate(body) or not message.get("more_body"):
                    return body, message.get("more_body", False)


def running_run():
    run = make_run(status=RunStatus.RUNNING)
    make_events(run, 3)
    return run


@pytest.mark.django_db(transaction=True)
async def test_a_database_error_mid_stream_ends_it_with_an_error_frame(router, monkeypatch):
    from asgiref.sync import sync_to_async

    run = await sync_to_async(running_run)()
    with override_settings(AGENTSERVER={**settings.AGENTSERVER, "HEARTBEAT_SECONDS": 0.2}):
        communicator = HttpCommunicator(router, "GET", f"/threads/{run.thread_id}/runs/{run.run_id}/stream",
                                        headers=[(b"last-event-id", b"0")])
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await communicator.receive_output(10)
        assert start["status"] == 200
        body, _ = await read_until(communicator, lambda b: b.count(b"event: custom") == 3)

        def broken(**kwargs):
            raise OperationalError("terminating connection due to administrator command")

        monkeypatch.setattr(follow, "_read_run", broken)
        rest, more = await read_until(communicator, lambda b: b"event: error" in b)
    frames = parse_sse((body + rest).decode())
    assert [event for event, _, _ in frames] == ["custom", "custom", "custom", "error"]
    assert frames[-1][1]["error"] == "OperationalError"
    assert more is False  # and the response ends


@pytest.mark.django_db(transaction=True)
async def test_a_server_shutdown_mid_stream_ends_it_with_an_error_frame(router):
    from asgiref.sync import sync_to_async

    run = await sync_to_async(running_run)()
    communicator = HttpCommunicator(router, "GET", f"/threads/{run.thread_id}/runs/{run.run_id}/stream",
                                    headers=[(b"last-event-id", b"0")])
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    assert (await communicator.receive_output(10))["status"] == 200
    body, _ = await read_until(communicator, lambda b: b.count(b"event: custom") == 3)
    communicator.future.cancel()  # what daphne does to every application when it stops
    rest, more = await read_until(communicator, lambda b: b"event: error" in b)
    frames = parse_sse((body + rest).decode())
    assert frames[-1][0] == "error" and frames[-1][1]["error"] == "ServerShutdown"
    assert [frame_id for _, _, frame_id in frames[:-1]] == ["1", "2", "3"]  # resumable after id 3
    assert more is False


@pytest.mark.django_db(transaction=True)
async def test_a_server_shutdown_during_wait_ends_the_json_with_an_error(router):
    from asgiref.sync import sync_to_async

    run = await sync_to_async(running_run)()
    communicator = HttpCommunicator(router, "GET", f"/threads/{run.thread_id}/runs/{run.run_id}/join")
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    assert (await communicator.receive_output(10))["status"] == 200
    await asyncio.sleep(0.2)
    communicator.future.cancel()
    body, more = await read_until(communicator, lambda b: b"__error__" in b)
    assert orjson.loads(body)["__error__"]["error"] == "ServerShutdown" and more is False
