"""Thread TTL: the sweeper deletes an expired thread with its runs, events and checkpoints, and never
a thread with a live run. Store TTL: an item with a TTL goes away by itself."""
import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from langgraph_sdk.errors import NotFoundError


def checkpoint_count(env, thread_id):
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread_id,)).fetchone()[0]
    with sqlite3.connect(Path(env["AGENTSERVER_DATA_DIR"]) / "checkpoints.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = ?", (thread_id,)).fetchone()[0]


async def _gone(msdk, thread_id, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            await msdk.threads.get(thread_id)
        except NotFoundError:
            return True
        await asyncio.sleep(0.3)
    return False


async def test_thread_ttl_deletes_thread_runs_and_checkpoints(msdk, memory_server):
    thread = await msdk.threads.create(ttl={"strategy": "delete", "ttl": 0.15})  # 9 s after its last update
    keeper = await msdk.threads.create()
    await msdk.runs.wait(thread["thread_id"], "echo", input={"messages": [{"type": "human", "content": "hi"}]})
    await msdk.runs.wait(keeper["thread_id"], "echo", input={"messages": [{"type": "human", "content": "hi"}]})
    runs = await msdk.runs.list(thread["thread_id"])
    assert runs and checkpoint_count(memory_server.env, thread["thread_id"]) > 0
    assert await _gone(msdk, thread["thread_id"])
    with pytest.raises(NotFoundError):
        await msdk.runs.get(thread["thread_id"], runs[0]["run_id"])
    assert checkpoint_count(memory_server.env, thread["thread_id"]) == 0
    assert (await msdk.threads.get(keeper["thread_id"]))["thread_id"] == keeper["thread_id"]  # no TTL: kept
    assert checkpoint_count(memory_server.env, keeper["thread_id"]) > 0


async def test_thread_ttl_waits_for_a_live_run(msdk):
    thread = await msdk.threads.create(ttl={"ttl": 0.05})  # 3 seconds, shorter than the run
    run = await msdk.runs.create(thread["thread_id"], "slow", input={"n": 12, "delay": 0.5})
    result = await msdk.runs.join(thread["thread_id"], run["run_id"])
    assert result["ticks"] == [*range(12), -1]  # the run was not cut short by the sweeper
    finished = await msdk.runs.get(thread["thread_id"], run["run_id"])
    assert finished["status"] == "success"
    assert await _gone(msdk, thread["thread_id"])


async def test_patching_a_ttl_onto_a_thread(msdk):
    thread = await msdk.threads.create()
    await msdk.threads.update(thread["thread_id"], metadata={"x": 1}, ttl={"strategy": "delete", "ttl": 0.02})
    assert await _gone(msdk, thread["thread_id"])


@pytest.mark.parametrize("ttl", [{"ttl": -1}, {"ttl": "soon"}, {"strategy": "archive", "ttl": 1}])
def test_bad_thread_ttl_is_422(mhttp, ttl):
    response = mhttp.post("/threads", json={"ttl": ttl})
    assert response.status_code == 422 and "ttl" in response.json()["detail"]


async def test_store_item_ttl_expires(msdk):
    ns = ["ttl", str(time.time_ns())]
    await msdk.store.put_item(ns, key="short", value={"text": "gone soon"}, ttl=0.1)
    await msdk.store.put_item(ns, key="forever", value={"text": "stays"})
    assert (await msdk.store.get_item(ns, key="short"))["value"] == {"text": "gone soon"}
    deadline = time.monotonic() + 40
    # reads refresh the TTL (store.ttl.refresh_on_read), unless told not to
    while time.monotonic() < deadline and await msdk.store.get_item(ns, key="short", refresh_ttl=False):
        await asyncio.sleep(0.5)
    assert await msdk.store.get_item(ns, key="short", refresh_ttl=False) is None
    assert (await msdk.store.get_item(ns, key="forever"))["value"] == {"text": "stays"}
