"""Joining run streams: Last-Event-ID replay, live tail, filters, and 20 concurrent resumers."""
import asyncio
import random

import httpx
import pytest

from tests.helpers import new_id, parse_sse


async def start_slow(ahttp, *, n=10, delay=0.05, **extra):
    thread_id = new_id()
    response = await ahttp.post(f"/threads/{thread_id}/runs", json={
        "assistant_id": "slow", "input": {"n": n, "delay": delay}, "if_not_exists": "create",
        "stream_mode": ["values", "custom"], **extra})
    assert response.status_code == 200, response.text
    return thread_id, response.json()["run_id"]


async def read_join(ahttp, thread_id, run_id, *, last_event_id=None, params=None):
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    response = await ahttp.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers=headers, params=params)
    return response, parse_sse(response.text)


async def test_join_finished_run_replays_everything_from_zero(ahttp, sdk):
    thread_id, run_id = await start_slow(ahttp, n=3, delay=0.01)
    await sdk.runs.join(thread_id, run_id)
    response, frames = await read_join(ahttp, thread_id, run_id, last_event_id="0")
    assert response.status_code == 200
    assert frames[0][0] == "metadata" and frames[0][1]["run_id"] == run_id
    assert [int(f[2]) for f in frames] == list(range(1, len(frames) + 1))
    assert [f[1]["tick"] for f in frames if f[0] == "custom"] == [0, 1, 2]
    _, again = await read_join(ahttp, thread_id, run_id, last_event_id="-1")
    assert again == frames


async def test_join_resumes_after_a_mid_stream_id(ahttp, sdk):
    thread_id, run_id = await start_slow(ahttp, n=4, delay=0.01)
    await sdk.runs.join(thread_id, run_id)
    _, frames = await read_join(ahttp, thread_id, run_id, last_event_id="0")
    _, tail = await read_join(ahttp, thread_id, run_id, last_event_id=frames[2][2])
    assert tail == frames[3:]


async def test_join_finished_run_without_last_event_id_is_empty(ahttp, sdk):
    thread_id, run_id = await start_slow(ahttp, n=2, delay=0.01)
    await sdk.runs.join(thread_id, run_id)
    response, frames = await read_join(ahttp, thread_id, run_id)
    assert response.status_code == 200 and frames == []


async def test_join_filter_by_stream_mode(ahttp, sdk):
    thread_id, run_id = await start_slow(ahttp, n=3, delay=0.01)
    await sdk.runs.join(thread_id, run_id)
    _, frames = await read_join(ahttp, thread_id, run_id, last_event_id="0", params={"stream_mode": "custom"})
    assert {f[0] for f in frames} == {"custom"} and len(frames) == 3


async def test_error_event_is_replayed(ahttp, sdk):
    thread_id = new_id()
    response = await ahttp.post(f"/threads/{thread_id}/runs", json={"assistant_id": "fail", "input": {}, "if_not_exists": "create"})
    run_id = response.json()["run_id"]
    await ahttp.get(f"/threads/{thread_id}/runs/{run_id}/join")
    _, frames = await read_join(ahttp, thread_id, run_id, last_event_id="0")
    assert frames[-1][:2] == ("error", {"error": "ValueError", "message": "boom: deliberate failure"})


async def test_join_live_gets_rest_of_run(ahttp):
    thread_id, run_id = await start_slow(ahttp, n=10, delay=0.05)
    await asyncio.sleep(0.2)
    _, frames = await read_join(ahttp, thread_id, run_id)
    ticks = [f[1]["tick"] for f in frames if f[0] == "custom"]
    assert ticks and ticks[-1] == 9 and ticks == list(range(ticks[0], 10))


async def test_sdk_join_stream_with_last_event_id(sdk, ahttp):
    thread_id, run_id = await start_slow(ahttp, n=3, delay=0.01)
    await sdk.runs.join(thread_id, run_id)
    parts = [p async for p in sdk.runs.join_stream(thread_id, run_id, last_event_id="0")]
    assert parts[0].event == "metadata"
    assert [p.data["tick"] for p in parts if p.event == "custom"] == [0, 1, 2]


@pytest.mark.parametrize("bad", ["abc", "1.5", "--"])
async def test_join_bad_last_event_id_is_422(ahttp, bad):
    thread_id, run_id = await start_slow(ahttp, n=1, delay=0.01)
    response, _ = await read_join(ahttp, thread_id, run_id, last_event_id=bad)
    assert response.status_code == 422
    assert "Last-Event-ID" in response.json()["detail"]


async def test_join_missing_run_is_404(ahttp):
    thread_id, _ = await start_slow(ahttp, n=1, delay=0.01)
    response, _ = await read_join(ahttp, thread_id, new_id(), last_event_id="0")
    assert response.status_code == 404


async def test_join_bad_stream_mode_is_422(ahttp):
    thread_id, run_id = await start_slow(ahttp, n=1, delay=0.01)
    response, _ = await read_join(ahttp, thread_id, run_id, params={"stream_mode": "bogus"})
    assert response.status_code == 422


async def _resume_at_random(base_url, thread_id, run_id, rng):
    """Read part of the stream, drop the connection, resume from the last id; repeat."""
    seen, last = [], "0"
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        while True:
            cut = rng.randint(1, 15)
            async with client.stream("GET", f"/threads/{thread_id}/runs/{run_id}/stream",
                                     headers={"Last-Event-ID": last}) as response:
                buffer, done = "", True
                async for chunk in response.aiter_text():
                    buffer += chunk
                    frames = parse_sse(buffer.rsplit("\r\n\r\n", 1)[0]) if "\r\n\r\n" in buffer else []
                    if len(frames) >= cut:
                        done = False
                        break
                if done:
                    frames = parse_sse(buffer)
            for event, data, event_id in frames:
                seen.append((int(event_id), event, data))
            if frames:
                last = frames[-1][2]
            if done:
                return seen


async def test_twenty_clients_resume_at_random_points_without_loss_or_duplicates(ahttp, base_url):
    thread_id, run_id = await start_slow(ahttp, n=60, delay=0.01)
    rngs = [random.Random(seed) for seed in range(20)]
    results = await asyncio.gather(*[_resume_at_random(base_url, thread_id, run_id, rng) for rng in rngs])
    _, reference = await read_join(ahttp, thread_id, run_id, last_event_id="0")
    expected = [(int(i), e, d) for e, d, i in reference]
    assert len(expected) > 60
    for seen in results:
        assert seen == expected


async def test_forty_clients_joining_at_once_each_get_the_rest_of_the_run_and_one_gets_all(ahttp, base_url):
    """Joins that arrive together share their database read (runs.joins): each still gets every
    event after the point it joined, consecutively, to the run's end; exactly one of them (the run's
    first observer) gets the run from its first event."""
    thread_id, run_id = await start_slow(ahttp, n=30, delay=0.03)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async def join():
            response = await client.get(f"/threads/{thread_id}/runs/{run_id}/stream")
            assert response.status_code == 200
            return parse_sse(response.text)

        streams = await asyncio.gather(*(join() for _ in range(40)))
    full = [frames for frames in streams if frames and frames[0][0] == "metadata"]
    assert len(full) == 1, [frames[:1] for frames in streams]
    for frames in streams:
        ids = [int(f[2]) for f in frames]
        assert ids == list(range(ids[0], ids[0] + len(ids))), ids  # consecutive from where it joined
        ticks = [f[1]["tick"] for f in frames if f[0] == "custom"]
        assert ticks and ticks[-1] == 29 and ticks == list(range(ticks[0], 30)), ticks
    assert [f[1]["tick"] for f in full[0] if f[0] == "custom"] == list(range(30))
