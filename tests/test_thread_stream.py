"""GET /threads/{thread_id}/stream: stays open across runs, modes, Last-Event-ID, errors."""
import asyncio

import httpx

from tests.helpers import new_id, parse_sse


async def read_thread_stream(base_url, thread_id, *, until, headers=None, params=None, timeout=10):
    """Collect frames until ``until(frames)`` is true, then close the connection."""
    frames, buffer = [], ""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with client.stream("GET", f"/threads/{thread_id}/stream", headers=headers or {}, params=params) as response:
            assert response.status_code == 200, await response.aread()
            async with asyncio.timeout(timeout):
                async for chunk in response.aiter_text():
                    buffer += chunk
                    if "\r\n\r\n" in buffer:
                        complete, buffer = buffer.rsplit("\r\n\r\n", 1)
                        frames += parse_sse(complete + "\r\n\r\n")
                        if until(frames):
                            return frames
    return frames


def run_done_count(frames):
    return sum(1 for e, d, _ in frames if e == "metadata" and d.get("status") == "run_done")


async def make_thread(ahttp):
    thread_id = new_id()
    response = await ahttp.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": {}, "if_not_exists": "create"})
    assert response.status_code == 200
    return thread_id


async def test_thread_stream_spans_runs(ahttp, base_url):
    thread_id = await make_thread(ahttp)
    reader = asyncio.create_task(read_thread_stream(base_url, thread_id, until=lambda f: run_done_count(f) >= 2))
    await asyncio.sleep(0.3)
    for _ in range(2):
        await ahttp.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": {}})
    frames = await reader
    events = [e for e, _, _ in frames]
    assert events.count("values") >= 6
    assert all(i is not None for _, _, i in frames)
    ids = [int(i) for _, _, i in frames]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_thread_stream_lifecycle_only(ahttp, base_url):
    thread_id = await make_thread(ahttp)
    reader = asyncio.create_task(read_thread_stream(base_url, thread_id, params={"stream_modes": "lifecycle"},
                                                    until=lambda f: run_done_count(f) >= 1))
    await asyncio.sleep(0.3)
    await ahttp.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": {}})
    frames = await reader
    assert [e for e, _, _ in frames] == ["metadata", "metadata"]
    assert set(frames[0][1]) == {"run_id", "attempt"}
    assert frames[1][1]["status"] == "run_done"


async def test_thread_stream_replays_from_the_beginning(ahttp, base_url):
    thread_id = await make_thread(ahttp)
    frames = await read_thread_stream(base_url, thread_id, headers={"Last-Event-ID": "-"},
                                      until=lambda f: run_done_count(f) >= 1)
    assert frames[0][0] == "metadata" and frames[0][2] == "1"
    assert frames[-1][1]["status"] == "run_done"
    middle = frames[2][2]
    tail = await read_thread_stream(base_url, thread_id, headers={"Last-Event-ID": middle},
                                    until=lambda f: run_done_count(f) >= 1)
    assert tail == frames[3:]


async def test_thread_stream_errors(ahttp):
    assert (await ahttp.get(f"/threads/{new_id()}/stream")).status_code == 404
    thread_id = await make_thread(ahttp)
    response = await ahttp.get(f"/threads/{thread_id}/stream", params={"stream_modes": "values"})
    assert response.status_code == 422 and response.json() == {"detail": "Invalid stream mode: values"}
    response = await ahttp.get(f"/threads/{thread_id}/stream", headers={"Last-Event-ID": "abc"})
    assert response.status_code == 422
    assert (await ahttp.get("/threads/nope/stream")).status_code == 422


async def test_state_update_frame_reaches_the_thread_stream(ahttp, base_url):
    thread_id = await make_thread(ahttp)

    def got_update(frames):
        return any(e == "state_update" for e, _, _ in frames)

    reader = asyncio.create_task(read_thread_stream(base_url, thread_id, params={"stream_modes": "state_update"},
                                                    until=got_update))
    await asyncio.sleep(0.3)
    response = await ahttp.post(f"/threads/{thread_id}/state", json={"values": {"counter": 100}})
    assert response.status_code == 200, response.text
    frames = await reader
    (update,) = [d for e, d, _ in frames if e == "state_update"]
    assert update["thread_id"] == thread_id
    assert update["state"]["values"]["counter"] == 100
