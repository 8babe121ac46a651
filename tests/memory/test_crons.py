"""/runs/crons* through langgraph_sdk against a live server whose scheduler ticks every 0.5 s."""
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT

EVERY_SECOND = "* * * * * *"


async def _runs_of(msdk, thread_id):
    return await msdk.runs.list(thread_id, limit=100)


async def _wait_for(predicate, timeout=30.0, interval=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    return await predicate()


async def test_thread_cron_fires_within_seconds(msdk):
    thread = await msdk.threads.create()
    cron = await msdk.crons.create_for_thread(
        thread["thread_id"], "echo", schedule=EVERY_SECOND,
        input={"messages": [{"type": "human", "content": "tick"}]}, metadata={"suite": "memory"},
    )
    assert cron["thread_id"] == thread["thread_id"] and cron["enabled"] is True
    assert cron["schedule"] == EVERY_SECOND and cron["next_run_date"]
    runs = await _wait_for(lambda: _runs_of(msdk, thread["thread_id"]))
    assert runs and runs[0]["metadata"]["cron_id"] == cron["cron_id"]
    await msdk.crons.delete(cron["cron_id"])
    state = await msdk.threads.get_state(thread["thread_id"])
    await _wait_for(lambda: _idle(msdk, thread["thread_id"]))
    state = await msdk.threads.get_state(thread["thread_id"])
    assert state["values"]["messages"][-1]["content"] == "echo: tick"


async def _idle(msdk, thread_id):
    return (await msdk.threads.get(thread_id))["status"] == "idle"


async def test_stateless_cron_keeps_or_deletes_its_threads(msdk):
    kept = await msdk.crons.create("echo", schedule=EVERY_SECOND, input={"messages": []},
                                   on_run_completed="keep", metadata={"case": "keep"})
    assert kept["thread_id"] is None and kept["on_run_completed"] == "keep"

    async def finished_kept_runs():
        threads = await msdk.threads.search(limit=20, sort_by="created_at", sort_order="desc")
        for thread in threads:
            for run in await msdk.runs.list(thread["thread_id"]):
                if run["metadata"].get("cron_id") == kept["cron_id"] and run["status"] == "success":
                    return run
        return None

    run = await _wait_for(finished_kept_runs)
    await msdk.crons.delete(kept["cron_id"])
    assert run is not None
    assert (await msdk.threads.get(run["thread_id"]))["thread_id"] == run["thread_id"]


async def test_search_count_patch_get(msdk):
    tag = os.urandom(4).hex()
    thread = await msdk.threads.create()
    a = await msdk.crons.create("echo", schedule="0 9 * * *", timezone="America/New_York", metadata={"tag": tag})
    b = await msdk.crons.create_for_thread(thread["thread_id"], "echo", schedule="0 10 * * *", metadata={"tag": tag},
                                           enabled=False)
    found = await msdk.crons.search(metadata={"tag": tag}, sort_by="created_at", sort_order="asc")
    assert [c["cron_id"] for c in found] == [a["cron_id"], b["cron_id"]]
    assert await msdk.crons.count(metadata={"tag": tag}) == 2
    assert await msdk.crons.count(thread_id=thread["thread_id"]) == 1
    assert [c["cron_id"] for c in await msdk.crons.search(metadata={"tag": tag}, enabled=False)] == [b["cron_id"]]
    assert [c["cron_id"] for c in await msdk.crons.search(assistant_id="echo", metadata={"tag": tag}, limit=1, offset=1,
                                                            sort_order="asc", sort_by="created_at")] == [b["cron_id"]]
    selected = await msdk.crons.search(metadata={"tag": tag}, select=["cron_id", "schedule"], limit=1)
    assert set(selected[0]) == {"cron_id", "schedule"}
    # 09:00 in New York is 13:00 or 14:00 UTC depending on daylight saving time
    next_run = datetime.fromisoformat(a["next_run_date"]).astimezone(UTC)
    assert next_run.minute == 0 and next_run.hour in (13, 14)
    patched = await msdk.crons.update(a["cron_id"], schedule="30 8 * * *", timezone="Europe/Berlin",
                                      metadata={"more": 1}, enabled=False)
    assert patched["schedule"] == "30 8 * * *" and patched["enabled"] is False
    assert patched["metadata"] == {"tag": tag, "more": 1}
    assert datetime.fromisoformat(patched["next_run_date"]).astimezone(UTC).hour in (6, 7)
    got = await msdk.crons.update(a["cron_id"], end_time=datetime.now(UTC) + timedelta(days=3))
    assert got["end_time"]
    cleared = await msdk.crons.update(a["cron_id"], end_time=None)
    assert cleared["end_time"] is None
    for cron in (a, b):
        await msdk.crons.delete(cron["cron_id"])
    assert await msdk.crons.count(metadata={"tag": tag}) == 0


async def test_cron_past_its_end_time_stops(msdk):
    thread = await msdk.threads.create()
    end = datetime.now(UTC) + timedelta(seconds=3)
    cron = await msdk.crons.create_for_thread(thread["thread_id"], "echo", schedule=EVERY_SECOND,
                                              input={"messages": []}, end_time=end)

    async def stopped():
        found = await msdk.crons.search(thread_id=thread["thread_id"])
        return found and found[0]["next_run_date"] is None

    assert await _wait_for(stopped, timeout=30)
    runs = await _runs_of(msdk, thread["thread_id"])
    assert runs
    assert all(datetime.fromisoformat(r["metadata"]["cron_tick"]) <= end for r in runs)
    await asyncio.sleep(2)
    assert len(await _runs_of(msdk, thread["thread_id"])) == len(runs)
    await msdk.crons.delete(cron["cron_id"])


@pytest.mark.parametrize("body,field", [
    ({"assistant_id": "echo", "schedule": "every minute"}, "schedule"),
    ({"assistant_id": "echo", "schedule": "61 * * * *"}, "schedule"),
    ({"assistant_id": "echo"}, "schedule"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "timezone": "Mars/Olympus"}, "timezone"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "end_time": "tomorrow"}, "end_time"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "enabled": "yes"}, "enabled"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "on_run_completed": "drop"}, "on_run_completed"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "multitask_strategy": "x"}, "multitask_strategy"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "stream_mode": "nope"}, "stream_mode"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "input": 3}, "input"),
    ({"assistant_id": "echo", "schedule": "* * * * *", "webhook": "not a url"}, "webhook"),
    ({"schedule": "* * * * *"}, "assistant_id"),
])
def test_bad_cron_bodies_are_422(mhttp, body, field):
    before = mhttp.post("/runs/crons/count", json={}).json()
    response = mhttp.post("/runs/crons", json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]
    assert mhttp.post("/runs/crons/count", json={}).json() == before


def test_missing_things_are_404(mhttp):
    missing = "00000000-0000-0000-0000-000000000001"
    assert mhttp.post(f"/threads/{missing}/runs/crons", json={"assistant_id": "echo", "schedule": "* * * * *"}).status_code == 404
    assert mhttp.get(f"/runs/crons/{missing}").status_code == 404
    assert mhttp.patch(f"/runs/crons/{missing}", json={"enabled": False}).status_code == 404
    assert mhttp.delete(f"/runs/crons/{missing}").status_code == 404
    assert mhttp.get("/runs/crons/nope").status_code == 422
    assert mhttp.patch(f"/runs/crons/{missing}", json={"schedule": "bad"}).status_code == 422
    assert mhttp.get("/info").json()["flags"]["crons"] is True


def _worker(env, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "manage.py", "worker", "--concurrency", "4"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


async def test_exactly_once_with_two_workers(msdk, memory_server, tmp_path):
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = [_worker(memory_server.env, log) for log in logs]
    try:
        async def both_ready():
            return all(log.exists() and "ready" in log.read_text() for log in logs)

        assert await _wait_for(both_ready, timeout=90)  # three schedulers (the server's and theirs) compete
        thread = await msdk.threads.create()
        cron = await msdk.crons.create_for_thread(thread["thread_id"], "echo", schedule=EVERY_SECOND,
                                                  input={"messages": []})
        await asyncio.sleep(5)
        await msdk.crons.delete(cron["cron_id"])
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(30)
    runs = await _runs_of(msdk, thread["thread_id"])
    ticks = [run["metadata"]["cron_tick"] for run in runs]
    assert len(ticks) >= 2
    assert len(ticks) == len(set(ticks)), "a tick fired twice"
