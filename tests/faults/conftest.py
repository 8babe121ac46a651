"""The fault suite (issue #17): kill -9 of the server and of workers at random points of a run,
PostgreSQL connections terminated, Redis restarted, SIGTERM; each checked by ``invariants.check_run``.

The random points come from one seed per session, printed in every assertion's message; set
``FAULTS_SEED`` to replay one."""
import os
import random

import pytest

SEED = int(os.environ.get("FAULTS_SEED") or random.randrange(1_000_000))


@pytest.fixture
def rng(request):
    """A random source per test, from the session's seed and the test's name (reproducible)."""
    return random.Random(f"{SEED}:{request.node.name}")


def pytest_report_header(config):
    return f"fault suite seed: FAULTS_SEED={SEED}"
