"""kill -9 of the server at random points of a run, then a restart on the same database.

Embedded default: the server's executor runs the run, so the restarted server retries it (after its
lease). Scaled layout: the server only serves; the worker's run must not notice."""
import time

from tests.faults.conftest import SEED, points
from tests.faults.invariants import check_run, create_run, wait_status

POINTS = 3  # embedded; the scaled layout's server takes 2


def _kill_server_at_points(stack, rng, what, count=POINTS):
    run_ids = []
    for point in range(points(count)):
        at = 0.0 if point == 0 else rng.uniform(0.0, 1.4)
        why = f"kill -9 of the {what} server {at:.2f} s into the run (point {point}, FAULTS_SEED={SEED})"
        with stack.client() as client:
            thread_id, run_id = create_run(client)
            wait_status(client, thread_id, run_id, {"running", "success"})
        time.sleep(at)
        stack.server.proc.kill()
        stack.server.proc.wait(10)
        stack.restart_server()
        with stack.client() as client:
            check_run(client, thread_id, run_id, stack.reference, why=why)
        run_ids.append(run_id)
    return run_ids


def test_kill_9_of_the_embedded_server_at_random_points(embedded, rng):
    _kill_server_at_points(embedded, rng, "embedded")


def test_kill_9_of_a_scaled_server_leaves_the_workers_run_alone(scaled, rng):
    run_ids = _kill_server_at_points(scaled, rng, "scaled", count=2)
    for run_id in run_ids:  # the worker was never interrupted: no retry
        assert scaled.rows("SELECT attempt FROM runs_run WHERE run_id = %s", run_id) == [(1,)]
