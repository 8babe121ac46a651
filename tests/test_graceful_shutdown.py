"""SIGTERM to the embedded server drains like ``manage.py worker``: no new claims, running runs
finish within the grace period, the rest are handed back at once (a restart picks them up without
waiting for a lease to expire), and open streams end with an ``error`` frame."""
import os
import signal
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

from tests.conftest import GRAPHS_CONFIG, LiveServer, free_port
from tests.helpers import new_id, parse_sse


def _env(data_dir, **extra):
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(AGENTSERVER_DATA_DIR=str(data_dir), LANGGRAPH_CONFIG=str(GRAPHS_CONFIG), **extra)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        parsed = urlparse(url)
        name = parsed.path.lstrip("/") + "_shutdown"  # this test's own database
        with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    else:
        env["DATABASE_URL"] = f"sqlite:///{data_dir}/live.sqlite3"
    return env


def run_row(env, run_id):
    """(status, worker_id) of the run, read from the stopped server's database."""
    url = env["DATABASE_URL"]
    query = "SELECT status, worker_id FROM runs_run WHERE run_id = "
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(query + "%s", [run_id]).fetchone()
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute(query + "?", [run_id.replace("-", "")]).fetchone()


def start(env, data_dir, port):
    server = LiveServer(env, port, data_dir / "server.log")
    return server.start()


def status(client, thread_id, run_id):
    return client.get(f"/threads/{thread_id}/runs/{run_id}").json()["status"]


def wait_status(client, thread_id, run_id, wanted, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = status(client, thread_id, run_id)
        if current in wanted:
            return current
        time.sleep(0.05)
    raise AssertionError(f"run still {current}")


def create(client, n, delay):
    thread_id = new_id()
    response = client.post(f"/threads/{thread_id}/runs", json={
        "assistant_id": "slow", "input": {"n": n, "delay": delay}, "if_not_exists": "create",
        "stream_mode": ["custom"]})
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    wait_status(client, thread_id, run_id, {"running"})
    return thread_id, run_id


def stop(server):
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(60) == 0
    return time.monotonic() - started


@pytest.fixture
def data_dir():
    return Path(tempfile.mkdtemp(prefix="agentserver-shutdown-"))


def test_sigterm_lets_a_running_run_finish_within_the_grace(data_dir):
    env, port = _env(data_dir, AGENTSERVER_SHUTDOWN_GRACE_SECONDS="15"), free_port()
    server = start(env, data_dir, port)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            thread_id, run_id = create(client, 20, 0.1)  # about 2 s
        took = stop(server)
        assert 0.5 < took < 15, took  # waited for the run, not for the whole grace
        server = start(env, data_dir, port)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert status(client, thread_id, run_id) == "success"
            events = client.get(f"/threads/{thread_id}/runs/{run_id}/stream",
                                headers={"Last-Event-ID": "0"}).text
            assert [d["tick"] for e, d, _ in parse_sse(events) if e == "custom"] == list(range(20))
    finally:
        server.stop()


def test_sigterm_hands_the_rest_back_and_a_restart_resumes_at_once(data_dir):
    env, port = _env(data_dir, AGENTSERVER_SHUTDOWN_GRACE_SECONDS="0.5"), free_port()
    server = start(env, data_dir, port)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            thread_id, run_id = create(client, 60, 0.05)  # about 3 s: outlasts the grace
            with client.stream("GET", f"/threads/{thread_id}/runs/{run_id}/stream",
                               headers={"Last-Event-ID": "0"}) as stream:
                chunks = stream.iter_bytes()
                body = next(chunks)
                while b"event: custom" not in body:
                    body += next(chunks)
                took_box = {}
                import threading

                stopper = threading.Thread(target=lambda: took_box.setdefault("took", stop(server)))
                stopper.start()
                for chunk in chunks:
                    body += chunk
                stopper.join(60)
        frames = parse_sse(body.decode())
        assert frames[-1][0] == "error" and frames[-1][1]["error"] == "ServerShutdown", frames[-3:]
        assert took_box["took"] < 10, took_box
        # handed back: pending and claimable at once (before: still 'running' until its lease expired)
        assert run_row(env, run_id) == ("pending", "")
        server = start(env, data_dir, port)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert wait_status(client, thread_id, run_id, {"success", "error"}, timeout=30) == "success"
            thread = client.get(f"/threads/{thread_id}").json()
            assert thread["status"] == "idle"
    finally:
        server.stop()
