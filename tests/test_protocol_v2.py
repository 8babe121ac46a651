"""Protocol v2: POST /threads/{id}/stream/events and POST /threads/{id}/commands."""
import asyncio

import httpx

from tests.helpers import new_id, parse_sse


async def new_thread(ahttp):
    thread_id = new_id()
    response = await ahttp.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": {}, "if_not_exists": "create"})
    assert response.status_code == 200
    return thread_id


async def read_events(base_url, thread_id, body, *, until, timeout=10):
    frames, buffer = [], ""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with client.stream("POST", f"/threads/{thread_id}/stream/events", json=body) as response:
            assert response.status_code == 200
            async with asyncio.timeout(timeout):
                async for chunk in response.aiter_text():
                    buffer += chunk
                    if "\r\n\r\n" in buffer:
                        complete, buffer = buffer.rsplit("\r\n\r\n", 1)
                        frames += parse_sse(complete + "\r\n\r\n")
                        if until(frames):
                            return frames
    return frames


def lifecycle_done(frames, event="completed"):
    return any(e == "lifecycle" and d["params"]["data"]["event"] == event for e, d, _ in frames)


async def command(ahttp, thread_id, body):
    return await ahttp.post(f"/threads/{thread_id}/commands", json=body)


async def test_run_start_streams_envelopes_and_since_resumes(ahttp, base_url):
    thread_id = await new_thread(ahttp)
    body = {"channels": ["values", "lifecycle", "messages"]}
    reader = asyncio.create_task(read_events(base_url, thread_id, body, until=lifecycle_done))
    await asyncio.sleep(0.3)
    response = await command(ahttp, thread_id, {"id": 1, "method": "run.start", "params": {"assistant_id": "steps", "input": {}}})
    assert response.status_code == 200
    reply = response.json()
    assert reply["type"] == "success" and reply["id"] == 1 and "run_id" in reply["result"]
    frames = await reader
    methods = [e for e, _, _ in frames]
    assert methods[0] == "lifecycle" and frames[0][1]["params"]["data"] == {"event": "running", "graph_name": "steps"}
    assert methods.count("values") == 3 and methods[-1] == "lifecycle"
    for event, envelope, event_id in frames:
        assert envelope["type"] == "event" and envelope["method"] == event
        assert int(event_id) == envelope["seq"]
    seqs = [f[1]["seq"] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    resumed = await read_events(base_url, thread_id, {**body, "since": seqs[1]}, until=lifecycle_done)
    assert [f[1]["seq"] for f in resumed] == seqs[2:]


async def test_messages_channel_and_interrupt_respond(ahttp, base_url):
    thread_id = new_id()
    await ahttp.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "chat", "input": {"messages": []}, "if_not_exists": "create"})
    reader = asyncio.create_task(read_events(base_url, thread_id, {"channels": ["messages", "lifecycle"]}, until=lifecycle_done))
    await asyncio.sleep(0.3)
    await command(ahttp, thread_id, {"id": 1, "method": "run.start",
                                     "params": {"assistant_id": "chat", "input": {"messages": [{"type": "human", "content": "hi"}]}}})
    frames = await reader
    data = [d["params"]["data"] for e, d, _ in frames if e == "messages"]
    assert data[0]["event"] == "message-start"
    assert "".join(d["delta"]["text"] for d in data if d["event"] == "content-block-delta") == "Hello there! You said: hi"
    assert data[-1] == {"event": "message-finish"}

    hitl = new_id()
    await ahttp.post(f"/threads/{hitl}/runs/wait", json={"assistant_id": "hitl", "input": {"question": "go?"}, "if_not_exists": "create"})
    frames = await read_events(base_url, hitl, {"channels": ["values", "lifecycle"], "since": 0},
                               until=lambda f: lifecycle_done(f, "interrupted"))
    requested = [d["params"]["data"] for e, d, _ in frames if e == "input.requested"]
    assert requested[0]["payload"] == {"question": "go?"}
    reply = (await command(ahttp, hitl, {"id": 2, "method": "input.respond",
                                         "params": {"interrupt_id": requested[0]["interrupt_id"], "response": "yes"}})).json()
    assert reply["type"] == "success"
    await ahttp.get(f"/threads/{hitl}/runs/{reply['result']['run_id']}/join")
    thread = (await ahttp.get(f"/threads/{hitl}")).json()
    assert thread["values"]["answer"] == "yes" and thread["status"] == "idle"


async def test_v2_errors(ahttp):
    thread_id = await new_thread(ahttp)
    response = await ahttp.post(f"/threads/{thread_id}/stream/events", json={"channels": []})
    assert response.status_code == 400 and response.json() == {"detail": "channels is required and must be a non-empty array"}
    response = await ahttp.post(f"/threads/{thread_id}/stream/events", json={"channels": ["bogus"]})
    assert response.status_code == 422
    response = await ahttp.post(f"/threads/{new_id()}/stream/events", json={"channels": ["values"]})
    assert response.status_code == 404
    response = await command(ahttp, thread_id, {"method": "run.start"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_argument"
    response = await command(ahttp, thread_id, {"id": 3, "method": "nope"})
    assert response.status_code == 200 and response.json()["error"] == "unknown_command"
    response = await command(ahttp, thread_id, {"id": 4, "method": "run.cancel"})
    assert response.json() == {"type": "error", "id": 4, "error": "no_such_run", "message": "No active run is bound to this thread."}
    response = await command(ahttp, thread_id, {"id": 5, "method": "run.start", "params": {"assistant_id": "nope"}})
    assert response.json()["error"] == "invalid_argument"
