"""SIGTERM to the embedded server and to a worker: no new claims, running runs finish within the
grace period, the rest are handed back at once (a restart picks them up without waiting for a
lease to expire), and open streams end with an ``error`` frame; every invariant holds after."""
import signal
import threading
import time

from tests.faults.conftest import SEED, points
from tests.faults.invariants import check_run, create_run, status, wait_status
from tests.helpers import parse_sse

LONG = {"n": 20, "delay": 0.1}  # about 2 s


def sigterm(server, timeout=60):
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout) == 0
    return time.monotonic() - started


def test_sigterm_lets_a_running_run_finish_within_the_grace(embedded):
    embedded.server.stop()
    embedded.restart_server(AGENTSERVER_SHUTDOWN_GRACE_SECONDS="15")
    with embedded.client() as client:
        thread_id, run_id = create_run(client, input=LONG)
        wait_status(client, thread_id, run_id, {"running"})
    took = sigterm(embedded.server)
    assert 0.5 < took < 15, took  # waited for the run, not for the whole grace
    assert embedded.rows("SELECT status FROM runs_run WHERE run_id = %s", run_id) == [("success",)]
    embedded.restart_server(AGENTSERVER_SHUTDOWN_GRACE_SECONDS="0.3")
    with embedded.client() as client:
        events = client.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers={"Last-Event-ID": "0"}).text
        assert [d["tick"] for e, d, _ in parse_sse(events) if e == "custom"] == list(range(20))
        assert [d["attempt"] for e, d, _ in parse_sse(events) if e == "metadata"] == [1]
        assert client.get(f"/threads/{thread_id}").json()["status"] == "idle"


def _stream_until_closed(client, thread_id, run_id, on_first_event):
    with client.stream("GET", f"/threads/{thread_id}/runs/{run_id}/stream", headers={"Last-Event-ID": "0"}) as stream:
        chunks = stream.iter_bytes()
        body = next(chunks)
        while b"event: custom" not in body:
            body += next(chunks)
        on_first_event()
        for chunk in chunks:
            body += chunk
    return parse_sse(body.decode())


def test_sigterm_of_the_server_hands_the_run_back_and_a_restart_resumes_at_once(embedded, rng):
    at = rng.uniform(0.0, 0.3)  # + the 0.3 s grace: well before the run's end (about 1 s)
    why = f"SIGTERM of the embedded server {at:.2f} s after the first tick (FAULTS_SEED={SEED})"
    took = {}
    with embedded.client() as client:
        thread_id, run_id = create_run(client)

        def stop_soon():
            time.sleep(at)
            threading.Thread(target=lambda: took.setdefault("took", sigterm(embedded.server))).start()

        frames = _stream_until_closed(client, thread_id, run_id, stop_soon)
    deadline = time.monotonic() + 30
    while "took" not in took and time.monotonic() < deadline:
        time.sleep(0.05)
    assert frames[-1][0] == "error" and frames[-1][1]["error"] == "ServerShutdown", (frames[-3:], why)
    assert took["took"] < 10, (took, why)
    # handed back: pending and claimable at once (not 'running' until its lease expires)
    assert embedded.rows("SELECT status, worker_id FROM runs_run WHERE run_id = %s", run_id) == [("pending", "")], why
    embedded.restart_server()
    with embedded.client() as client:
        check_run(client, thread_id, run_id, embedded.reference, why=why)


def test_sigterm_of_a_worker_at_random_points_hands_the_run_back(scaled, worker, rng):
    with scaled.client() as client:
        for point in range(points(2)):
            at = rng.uniform(0.0, 1.2)
            why = f"SIGTERM of the worker {at:.2f} s into the run (point {point}, FAULTS_SEED={SEED})"
            thread_id, run_id = create_run(client)
            wait_status(client, thread_id, run_id, {"running", "success"})
            time.sleep(at)
            assert worker.sigterm() == 0, why
            assert status(client, thread_id, run_id) in ("pending", "success"), why  # never left running
            worker.start()
            check_run(client, thread_id, run_id, scaled.reference, why=why)


def test_sigterm_of_a_worker_drains_its_running_run(scaled, worker):
    worker.kill9()
    worker.start("--grace", "15")
    with scaled.client() as client:
        thread_id, run_id = create_run(client, input=LONG)
        wait_status(client, thread_id, run_id, {"running"})
        started = time.monotonic()
        assert worker.sigterm(30) == 0
        assert 0.5 < time.monotonic() - started < 15  # waited for the run, not for the whole grace
        assert status(client, thread_id, run_id) == "success"
        assert client.get(f"/threads/{thread_id}").json()["status"] == "idle"
        events = client.get(f"/threads/{thread_id}/runs/{run_id}/stream", headers={"Last-Event-ID": "0"}).text
        assert [d["attempt"] for e, d, _ in parse_sse(events) if e == "metadata"] == [1]
