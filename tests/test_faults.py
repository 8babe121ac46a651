"""Fault suite (bounded): kill -9 of the embedded server at random points of a run, then restart.

Asserts what issue #17 asks of every fault: each event exactly once per attempt, no hole in the
run's log, a final state equal to an uninterrupted run's, no thread left busy. (Connection
termination: test_event_writer; SIGTERM: test_graceful_shutdown; Redis restart and kill -9 of a
worker in scaled mode: test_scaled.)"""
import random
import signal
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.helpers import new_id, parse_sse
from tests.test_graceful_shutdown import _env, start, wait_status

INPUT = {"n": 20, "delay": 0.05}  # about 1 s of ticks, then a second node
SEED = random.randrange(1_000_000)


def run_on(client, thread_id):
    response = client.post(f"/threads/{thread_id}/runs", json={
        "assistant_id": "slow", "input": INPUT, "if_not_exists": "create", "stream_mode": ["custom", "values"]})
    assert response.status_code == 200, response.text
    return response.json()["run_id"]


def attempts(client, thread_id, run_id):
    """The run's frames split at each attempt's metadata frame: [(attempt, [frames])]; asserts the
    log has no hole."""
    text = client.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers={"Last-Event-ID": "0"}).text
    frames = parse_sse(text)
    ids = [int(frame_id) for _, _, frame_id in frames]
    assert ids == list(range(1, len(ids) + 1)), f"hole in the log: {ids}"
    split = []
    for event, data, _ in frames:
        if event == "metadata":
            split.append((data["attempt"], []))
        else:
            split[-1][1].append((event, data))
    return split


@pytest.fixture(scope="module")
def uninterrupted():
    """The final state and the events of the same run without a fault (on its own server)."""
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-faults-ref-"))
    server = start(_env(data_dir), data_dir, free_port())
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            thread_id = new_id()
            run_id = run_on(client, thread_id)
            assert wait_status(client, thread_id, run_id, {"success", "error"}) == "success"
            return client.get(f"/threads/{thread_id}/state").json()["values"], attempts(client, thread_id, run_id)
    finally:
        server.stop()


@pytest.mark.parametrize("point", [0.15, "random"])
def test_kill_9_of_the_server_mid_run(uninterrupted, point):
    rng = random.Random(SEED)
    at = rng.uniform(0.05, 1.3) if point == "random" else point
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-faults-"))
    env, port = _env(data_dir, AGENTSERVER_LEASE_SECONDS="2", AGENTSERVER_MAX_ATTEMPTS="3"), free_port()
    server = start(env, data_dir, port)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            thread_id = new_id()
            run_id = run_on(client, thread_id)
            wait_status(client, thread_id, run_id, {"running", "success"})
            time.sleep(at)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
        server = start(env, data_dir, port)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            final = wait_status(client, thread_id, run_id, {"success", "error"}, timeout=40)
            assert final == "success", (at, SEED)
            values, reference = uninterrupted
            assert client.get(f"/threads/{thread_id}/state").json()["values"] == values, (at, SEED)
            assert client.get(f"/threads/{thread_id}").json()["status"] == "idle"
            split = attempts(client, thread_id, run_id)
            assert [attempt for attempt, _ in split] == list(range(1, len(split) + 1))
            for attempt, frames in split:
                ticks = [data["tick"] for event, data in frames if event == "custom"]
                assert ticks == list(range(len(ticks))), (attempt, ticks, at, SEED)  # each once, in order
            # the last attempt ends as the uninterrupted run does
            assert split[-1][1][-1] == reference[-1][1][-1]
    finally:
        server.stop()
