"""Background runs, cancel, multitask strategies, on_disconnect, and bad input."""
import asyncio

import httpx
import pytest
from langgraph_sdk.errors import ConflictError

from tests.helpers import new_id, parse_sse

SLOW = {"n": 40, "delay": 0.05}


async def create(ahttp, thread_id, graph="slow", input=SLOW, **extra):
    response = await ahttp.post(f"/threads/{thread_id}/runs", json={
        "assistant_id": graph, "input": input, "if_not_exists": "create", **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def wait_status(sdk, thread_id, run_id, statuses, timeout=10):
    for _ in range(int(timeout / 0.05)):
        run = await sdk.runs.get(thread_id, run_id)
        if run["status"] in statuses:
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run stayed {run['status']}")


async def test_background_run_object_and_list(sdk, ahttp):
    thread_id = new_id()
    run = await create(ahttp, thread_id, graph="steps", input={}, metadata={"k": "v"})
    assert run["thread_id"] == thread_id and run["status"] in ("pending", "running", "success")
    assert run["kwargs"]["stream_mode"] == ["values"] and run["multitask_strategy"] == "enqueue"
    # the assistant's and the thread's metadata, then the request's (as on the reference)
    assert run["metadata"] == {"created_by": "system", "graph_id": "steps", "assistant_id": run["assistant_id"], "k": "v"}
    await sdk.runs.join(thread_id, run["run_id"])
    fetched = await sdk.runs.get(thread_id, run["run_id"])
    assert fetched["status"] == "success"
    listed = await sdk.runs.list(thread_id)
    assert [r["run_id"] for r in listed] == [run["run_id"]]
    assert await sdk.runs.list(thread_id, status="error") == []


async def test_cancel_interrupt_stops_a_running_run_and_closes_its_stream(sdk, ahttp):
    thread_id = new_id()
    run = await create(ahttp, thread_id, stream_mode=["custom"])
    await wait_status(sdk, thread_id, run["run_id"], {"running"})

    async def follow():
        response = await ahttp.get(f"/threads/{thread_id}/runs/{run['run_id']}/stream", headers={"Last-Event-ID": "0"})
        return parse_sse(response.text)

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.2)
    response = await ahttp.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert response.status_code == 202
    frames = await asyncio.wait_for(follower, 5)
    assert frames[0][0] == "metadata" and len([f for f in frames if f[0] == "custom"]) < 40
    final = await wait_status(sdk, thread_id, run["run_id"], {"interrupted"})
    assert final["status"] == "interrupted"
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "interrupted"


async def test_cancel_wait_and_rollback_deletes_run(sdk, ahttp):
    thread_id = new_id()
    run = await create(ahttp, thread_id)
    await wait_status(sdk, thread_id, run["run_id"], {"running"})
    response = await ahttp.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel", params={"wait": "true", "action": "rollback"})
    assert response.status_code == 200
    assert (await ahttp.get(f"/threads/{thread_id}/runs/{run['run_id']}")).status_code == 404
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "idle"


async def test_cancel_finished_and_missing_runs(ahttp, sdk):
    thread_id = new_id()
    run = await create(ahttp, thread_id, graph="steps", input={})
    await sdk.runs.join(thread_id, run["run_id"])
    response = await ahttp.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert response.status_code == 404 and "No matching runs" in response.json()["detail"]
    response = await ahttp.post(f"/threads/{thread_id}/runs/{new_id()}/cancel")
    assert response.status_code == 404 and response.json() == {"detail": "No runs found to cancel."}
    response = await ahttp.post(f"/threads/{thread_id}/runs/nope/cancel")
    assert response.status_code == 422 and response.json() == {"detail": "Invalid run ID: must be a UUID"}


async def test_bulk_cancel_by_ids_and_status_validation(ahttp, sdk):
    thread_id = new_id()
    first = await create(ahttp, thread_id)
    second = await create(ahttp, thread_id)
    response = await ahttp.post("/runs/cancel", json={"thread_id": thread_id, "run_ids": [first["run_id"], second["run_id"]]})
    assert response.status_code == 204
    for run in (first, second):
        assert (await wait_status(sdk, thread_id, run["run_id"], {"interrupted"}))["status"] == "interrupted"
    response = await ahttp.post("/runs/cancel", json={"status": "running", "thread_id": thread_id})
    assert response.status_code == 422 and "'status'" in response.json()["detail"]
    response = await ahttp.post("/runs/cancel", json={"status": "bogus"})
    assert response.status_code == 422


async def test_multitask_reject(sdk, ahttp):
    thread_id = new_id()
    run = await create(ahttp, thread_id)
    response = await ahttp.post(f"/threads/{thread_id}/runs", json={"assistant_id": "slow", "input": SLOW, "multitask_strategy": "reject"})
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Thread is already running a task")
    with pytest.raises(ConflictError):
        async for _ in sdk.runs.stream(thread_id, "slow", input=SLOW, multitask_strategy="reject"):
            pass
    await sdk.runs.cancel(thread_id, run["run_id"])


async def test_multitask_enqueue_runs_in_order(sdk, ahttp):
    thread_id = new_id()
    first = await create(ahttp, thread_id, input={"n": 3, "delay": 0.05})
    second = await create(ahttp, thread_id, input={"n": 2, "delay": 0.01})
    assert second["status"] == "pending"
    await sdk.runs.join(thread_id, second["run_id"])
    a = await sdk.runs.get(thread_id, first["run_id"])
    b = await sdk.runs.get(thread_id, second["run_id"])
    assert a["status"] == b["status"] == "success"
    thread = await sdk.threads.get(thread_id)
    assert thread["values"]["ticks"] == [0, 1, 2, -1, 0, 1, -1]


@pytest.mark.parametrize("strategy", ["interrupt", "rollback"])
async def test_multitask_interrupt_and_rollback(sdk, ahttp, strategy):
    thread_id = new_id()
    first = await create(ahttp, thread_id)
    await wait_status(sdk, thread_id, first["run_id"], {"running"})
    second = await create(ahttp, thread_id, input={"n": 1, "delay": 0.01}, multitask_strategy=strategy)
    await sdk.runs.join(thread_id, second["run_id"])
    assert (await sdk.runs.get(thread_id, second["run_id"]))["status"] == "success"
    runs = await sdk.runs.list(thread_id)
    if strategy == "interrupt":
        assert {r["run_id"]: r["status"] for r in runs}[first["run_id"]] == "interrupted"
    else:
        assert [r["run_id"] for r in runs] == [second["run_id"]]


async def test_on_disconnect_cancel_interrupts_the_run(sdk, base_url):
    thread_id = new_id()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with client.stream("POST", f"/threads/{thread_id}/runs/stream", json={
                "assistant_id": "slow", "input": SLOW, "if_not_exists": "create", "on_disconnect": "cancel",
                "stream_mode": "custom"}) as response:
            run_id = response.headers["content-location"].rsplit("/", 1)[1]
            async for chunk in response.aiter_text():
                if "tick" in chunk:
                    break
    run = await wait_status(sdk, thread_id, run_id, {"interrupted"}, timeout=2)
    assert run["status"] == "interrupted"


async def test_on_disconnect_continue_keeps_the_run(sdk, base_url):
    thread_id = new_id()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with client.stream("POST", f"/threads/{thread_id}/runs/stream", json={
                "assistant_id": "slow", "input": {"n": 5, "delay": 0.05}, "if_not_exists": "create",
                "stream_mode": "custom"}) as response:
            run_id = response.headers["content-location"].rsplit("/", 1)[1]
            async for chunk in response.aiter_text():
                if "tick" in chunk:
                    break
    run = await wait_status(sdk, thread_id, run_id, {"success"})
    assert run["status"] == "success"


async def test_after_seconds_delays_the_start(sdk, ahttp):
    thread_id = new_id()
    run = await create(ahttp, thread_id, graph="steps", input={}, after_seconds=1)
    await asyncio.sleep(0.3)
    assert (await sdk.runs.get(thread_id, run["run_id"]))["status"] == "pending"
    assert (await wait_status(sdk, thread_id, run["run_id"], {"success"}, timeout=5))["status"] == "success"


async def test_batch_and_stateless_background(ahttp, sdk):
    response = await ahttp.post("/runs/batch", json=[{"assistant_id": "steps", "input": {}}, {"assistant_id": "echo", "input": {"messages": []}}])
    assert response.status_code == 200 and len(response.json()) == 2
    response = await ahttp.post("/runs/batch", json=[{"assistant_id": "steps"}, {"input": {}}])
    assert response.status_code == 422 and "[1]" in response.json()["detail"]
    response = await ahttp.post("/runs", json={"assistant_id": "steps", "input": {}})
    assert response.status_code == 200 and response.headers["content-location"] == f"/runs/{response.json()['run_id']}"


BAD = [
    ({"input": {}}, 422, "assistant_id"),
    ({"assistant_id": "nope"}, 422, "Invalid assistant: 'nope'"),
    ({"assistant_id": "00000000-0000-0000-0000-0000000000aa"}, 404, "Thread or assistant not found."),
    ({"assistant_id": "steps", "stream_mode": "bogus"}, 422, "stream_mode"),
    ({"assistant_id": "steps", "stream_mode": ["values", "bogus"]}, 422, "stream_mode"),
    ({"assistant_id": "steps", "on_disconnect": "explode"}, 422, "on_disconnect"),
    ({"assistant_id": "steps", "multitask_strategy": "nope"}, 422, "multitask_strategy"),
    ({"assistant_id": "steps", "checkpoint_id": "nope"}, 422, "Invalid checkpoint ID"),
    ({"assistant_id": "steps", "config": {"recursion_limit": "x"}}, 422, "recursion_limit"),
    ({"assistant_id": "steps", "metadata": "x"}, 422, "metadata"),
    ({"assistant_id": "steps", "webhook": "not a url"}, 422, "webhook"),
]


@pytest.mark.parametrize("path", ["stream", "wait", ""])
@pytest.mark.parametrize("body,status,detail", BAD)
async def test_bad_run_bodies(ahttp, path, body, status, detail):
    thread_id = new_id()
    await ahttp.post(f"/threads/{thread_id}/runs", json={"assistant_id": "steps", "input": {}, "if_not_exists": "create"})
    url = f"/threads/{thread_id}/runs" + (f"/{path}" if path else "")
    response = await ahttp.post(url, json=body)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]


@pytest.mark.parametrize("url", ["/runs/stream", "/runs/wait", "/runs", "/threads/{t}/runs/stream", "/threads/{t}/runs"])
async def test_malformed_json(ahttp, url):
    response = await ahttp.post(url.format(t=new_id()), content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid JSON in request body"}


async def test_missing_thread_and_bad_thread_id(ahttp):
    response = await ahttp.post(f"/threads/{new_id()}/runs/stream", json={"assistant_id": "steps"})
    assert response.status_code == 404 and response.json() == {"detail": "Thread or assistant not found."}
    response = await ahttp.post("/threads/not-a-uuid/runs/stream", json={"assistant_id": "steps"})
    assert response.status_code == 422 and response.json() == {"detail": "Invalid thread ID: must be a UUID"}
    response = await ahttp.get(f"/threads/{new_id()}/runs")
    assert response.status_code == 404


async def test_rollback_restores_the_state_before_the_run(sdk, ahttp):
    thread_id = new_id()
    first = await create(ahttp, thread_id, input={"n": 2, "delay": 0.01})
    await sdk.runs.join(thread_id, first["run_id"])
    before = (await sdk.threads.get_state(thread_id))["values"]
    assert before["ticks"] == [0, 1, -1]
    second = await create(ahttp, thread_id, input={"n": 40, "delay": 0.05})
    await wait_status(sdk, thread_id, second["run_id"], {"running"})
    await asyncio.sleep(0.2)
    response = await ahttp.post(f"/threads/{thread_id}/runs/{second['run_id']}/cancel", params={"wait": "true", "action": "rollback"})
    assert response.status_code == 200
    assert (await sdk.threads.get_state(thread_id))["values"] == before
