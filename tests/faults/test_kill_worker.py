"""kill -9 of a ``manage.py worker`` at random points of a run (scaled layout: the server's executor
off), then a restart: the run is retried from its last checkpoint and every invariant holds.

On SQLite too: server and worker share the database file and meet through it (the worker polls for
runs every ``AGENTSERVER_POLL_SECONDS``; the in-process channel layer does not cross processes)."""
import time

from tests.faults.conftest import SEED, points
from tests.faults.invariants import Follower, check_run, create_run, wait_status

POINTS = 4  # random points per test; about 5 s each (the worker's restart, then its lease expiry)


def test_kill_9_of_the_worker_at_random_points(scaled, worker, rng):
    with scaled.client() as client:
        for point in range(points(POINTS)):
            at = 0.0 if point == 0 else rng.uniform(0.0, 1.4)  # the claim itself, then anywhere to the end
            why = f"kill -9 of the worker {at:.2f} s into the run (point {point}, FAULTS_SEED={SEED})"
            thread_id, run_id = create_run(client)
            follower = Follower(scaled.server.url, thread_id, run_id)
            wait_status(client, thread_id, run_id, {"running", "success"})
            time.sleep(at)
            worker.kill9()
            worker.start()
            split = check_run(client, thread_id, run_id, scaled.reference, why=why)
            follower.check(client, why=why)
            if at == 0.0:
                assert len(split) == 2, (split, why)  # killed mid-run: the run was retried once


def test_kill_9_of_the_worker_again_during_the_retry(scaled, worker, rng):
    first, second = rng.uniform(0.1, 0.8), rng.uniform(0.1, 0.8)
    why = f"kill -9 of the worker {first:.2f} s into the run, then {second:.2f} s into the retry (FAULTS_SEED={SEED})"
    with scaled.client() as client:
        thread_id, run_id = create_run(client)
        follower = Follower(scaled.server.url, thread_id, run_id)
        wait_status(client, thread_id, run_id, {"running"})
        time.sleep(first)
        worker.kill9()
        worker.start()
        deadline = time.monotonic() + 30  # until the retry runs: its attempt's metadata frame is stored
        while not scaled.rows("SELECT 1 FROM runs_run WHERE run_id = %s AND attempt = 2 AND status = 'running'",
                              run_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(second)
        worker.kill9()
        worker.start()
        split = check_run(client, thread_id, run_id, scaled.reference, why=why)
        follower.check(client, why=why)
        assert [attempt for attempt, _ in split][:2] == [1, 2] and len(split) >= 2, (split, why)
