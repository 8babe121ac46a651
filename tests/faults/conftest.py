"""The fault suite (issue #17): kill -9 of the server and of workers at random points of a run,
PostgreSQL connections terminated, Redis restarted, SIGTERM; each checked by ``invariants.check_run``.

The random points come from one seed per session, printed in every assertion's message; set
``FAULTS_SEED`` to replay one, ``FAULTS_POINTS`` to try more points per test than CI does. Two stacks serve the whole package (each started once, ~5 s): the
embedded default and the scaled layout (server without executor + one ``manage.py worker``; with
Redis in the PostgreSQL + Redis pass)."""
import os
import random

import pytest

from tests.faults.harness import Redis, Stack

SEED = int(os.environ.get("FAULTS_SEED") or random.randrange(1_000_000))


def points(default):
    """How many random points a test tries: ``default`` (CI's bound), or ``FAULTS_POINTS`` to hunt longer."""
    return int(os.environ.get("FAULTS_POINTS") or default)


@pytest.fixture
def rng(request):
    """A random source per test, from the session's seed and the test's name (reproducible)."""
    return random.Random(f"{SEED}:{request.node.name}")


def pytest_report_header(config):
    return f"fault suite seed: FAULTS_SEED={SEED}"


@pytest.fixture(scope="package")
def embedded():
    stack = Stack("embedded").start()
    yield stack
    stack.stop()


@pytest.fixture(scope="package")
def scaled():
    """With ``REDIS_URL`` set (CI's PostgreSQL + Redis pass): the scaled mode proper, on a
    redis-server of its own; else the database-only layout (workers and streams poll)."""
    redis = Redis().start() if os.environ.get("REDIS_URL") else None
    stack = Stack("scaled", workers=1, redis=redis)
    try:
        yield stack.start()
    finally:
        stack.stop()
        if redis is not None:
            redis.kill()


@pytest.fixture
def worker(scaled):
    """The scaled stack's worker, running again after the test (whatever the test did to it)."""
    yield scaled.workers[0]
    if scaled.workers[0].proc.poll() is not None:
        scaled.workers[0].start()
