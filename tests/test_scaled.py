"""Scaled mode: two server processes and two worker processes on PostgreSQL + Redis.

Runs when DATABASE_URL is PostgreSQL (CI's second pass). Redis here is a private redis-server on a
free port. Faults in this layout (kill -9 and SIGTERM of workers, Redis restarts, terminated
connections) are in the fault suite, tests/faults/.
"""
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg
import pytest

from tests.conftest import GRAPHS_CONFIG, ROOT, LiveServer, free_port
from tests.helpers import new_id, parse_sse

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="scaled mode needs DATABASE_URL=postgres://…"
)


class Cluster:
    def __init__(self, tmp):
        self.tmp = tmp
        self.redis_port = free_port()
        self.redis = None
        self.workers = {}
        parsed = urlparse(os.environ["DATABASE_URL"])
        self.db_name = parsed.path.lstrip("/") + "_cluster"
        admin = urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_url = urlunparse(parsed._replace(path=f"/{self.db_name}"))
        self.env = {**os.environ, "DATABASE_URL": self.db_url, "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                    "LANGGRAPH_CONFIG": str(GRAPHS_CONFIG), "AGENTSERVER_DATA_DIR": str(tmp),
                    "AGENTSERVER_LEASE_SECONDS": "2", "AGENTSERVER_WORKER_CONCURRENCY": "8",
                    "AGENTSERVER_EXECUTOR": "worker"}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def start_redis(self):
        self.redis = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                import redis

                redis.Redis(port=self.redis_port).ping()
                return
            except Exception:  # noqa: BLE001
                time.sleep(0.05)

    def start_worker(self, name):
        log = open(self.tmp / f"{name}.log", "ab")
        self.workers[name] = subprocess.Popen([sys.executable, "manage.py", "worker", "--worker-id", name],
                                              cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def rows(self, sql, *args):
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def cluster():
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the scaled-mode tests")
    tmp = Path(tempfile.mkdtemp(prefix="agentserver-cluster-"))
    cluster = Cluster(tmp)
    cluster.start_redis()
    servers = [LiveServer(cluster.env, free_port(), tmp / f"server{i}.log") for i in range(2)]
    for server in servers:
        server.start()
    cluster.servers = servers
    for name in ("w1", "w2"):
        cluster.start_worker(name)
    yield cluster
    for server in servers:
        server.stop()
    for proc in cluster.workers.values():
        if proc.poll() is None:
            proc.kill()
    if cluster.redis:
        cluster.redis.kill()


async def create_run(url, graph, input, thread_id=None, **extra):
    thread_id = thread_id or new_id()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(f"/threads/{thread_id}/runs", json={
            "assistant_id": graph, "input": input, "if_not_exists": "create", **extra})
        assert response.status_code == 200, response.text
        return thread_id, response.json()["run_id"]


async def status_of(url, thread_id, run_id):
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return (await client.get(f"/threads/{thread_id}/runs/{run_id}")).json()["status"]


async def wait_for(url, thread_id, run_id, statuses, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await status_of(url, thread_id, run_id)
        if status in statuses:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} is still {status}")


async def test_two_hundred_runs_each_claimed_exactly_once_by_both_workers(cluster):
    urls = [s.url for s in cluster.servers]
    created = await asyncio.gather(*[create_run(urls[i % 2], "steps", {}) for i in range(200)])
    for thread_id, run_id in created:
        assert await wait_for(urls[0], thread_id, run_id, {"success", "error"}) == "success"
    ids = [run_id for _, run_id in created]
    rows = cluster.rows("SELECT worker_id, attempt, status FROM runs_run WHERE run_id = ANY(%s::uuid[])", ids)
    assert len(rows) == 200
    assert {attempt for _, attempt, _ in rows} == {1}
    workers = [worker for worker, _, _ in rows]
    assert set(workers) == {"w1", "w2"}


async def test_stream_joined_on_the_other_server_gets_every_event(cluster):
    a, b = (s.url for s in cluster.servers)
    thread_id, run_id = await create_run(a, "slow", {"n": 20, "delay": 0.02}, stream_mode=["custom", "values"])
    async with httpx.AsyncClient(base_url=b, timeout=30) as client:
        response = await client.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers={"Last-Event-ID": "0"})
    frames = parse_sse(response.text)
    assert frames[0][0] == "metadata"
    assert [f[1]["tick"] for f in frames if f[0] == "custom"] == list(range(20))
    assert [int(f[2]) for f in frames] == list(range(1, len(frames) + 1))


async def test_cancel_through_the_other_server_stops_the_run_within_a_second(cluster):
    a, b = (s.url for s in cluster.servers)
    thread_id, run_id = await create_run(a, "slow", {"n": 100, "delay": 0.05})
    await wait_for(a, thread_id, run_id, {"running"})
    async with httpx.AsyncClient(base_url=b, timeout=30) as client:
        assert (await client.post(f"/threads/{thread_id}/runs/{run_id}/cancel")).status_code == 202
    started = time.monotonic()
    assert await wait_for(a, thread_id, run_id, {"interrupted", "success"}, timeout=5) == "interrupted"
    assert time.monotonic() - started < 1.5
