"""Redis killed and restarted mid-run, in the scaled layout (server without executor + a worker,
Redis as their channel layer). Redis is this test's own redis-server, never the machine's.

While it is down: ``GET /ok`` answers 500 naming Redis, runs are still created, claimed (workers
poll the database) and streamed (streams re-read the database); a stream followed across the
restart gets every event exactly once. Runs on both databases (it needs the redis-server binary,
not PostgreSQL)."""
import time

import pytest

from tests.faults.conftest import SEED
from tests.faults.harness import Redis, Stack
from tests.faults.invariants import Follower, check_run, create_run, wait_status


@pytest.fixture(scope="module")
def redis_stack():
    redis = Redis().start()
    stack = Stack("redis", workers=1, redis=redis)
    stack.redis = redis
    try:
        yield stack.start()
    finally:
        stack.stop()
        redis.kill()


def test_redis_restart_mid_run_loses_no_run_and_no_event(redis_stack, rng):
    stack, redis = redis_stack, redis_stack.redis
    down_at, down_for = rng.uniform(0.0, 1.0), rng.uniform(0.5, 2.0)
    why = f"Redis killed {down_at:.2f} s into the run, down {down_for:.2f} s (FAULTS_SEED={SEED})"
    with stack.client() as client:
        before = create_run(client)
        wait_status(client, *before, {"running", "success"})
        follower = Follower(stack.server.url, *before)
        time.sleep(down_at)
        redis.kill()
        health = client.get("/ok")
        assert health.status_code == 500, (health.text, why)
        assert health.json()["services"]["redis"]["ok"] is False and "redis" in health.json()["detail"], why
        during = create_run(client)
        time.sleep(down_for)
        redis.start()
        after = create_run(client)
        for thread_id, run_id in (before, during, after):
            check_run(client, thread_id, run_id, stack.reference, why=why)
        follower.check(client, why=why)  # the live follower got every event once, in order
        assert client.get("/ok").status_code == 200
