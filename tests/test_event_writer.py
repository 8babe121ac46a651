"""The event writer loses nothing and leaves no hole: a failed batch is retried with the same seqs;
one that cannot be stored ends the run as an error (and no later event is stored after the hole).
(Terminated PostgreSQL connections: tests/faults/test_connections.py.)"""
import threading

import pytest
from django.db import OperationalError

from runs.models import Run, RunStatus
from streaming import services, writer
from streaming.models import Event
from tests.factories import make_thread, start_slow_run, wait_for


def seqs(run_id):
    return list(Event.objects.filter(run_id=run_id).order_by("seq").values_list("seq", flat=True))


def assert_dense(run_id):
    got = seqs(run_id)
    assert got == list(range(1, len(got) + 1)), got
    return got


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(writer, "RETRY_DELAYS", (0.01, 0.02, 0.05), raising=False)


def failing_store(monkeypatch, *, fail, commit_first=False):
    """Make ``store_run_events`` fail on the calls numbered in ``fail`` (1-based); with
    ``commit_first`` the failing call stores its rows first (the answer is lost, not the write)."""
    real = services.store_run_events
    calls = {"n": 0}
    lock = threading.Lock()

    def store(**kwargs):
        with lock:
            calls["n"] += 1
            n = calls["n"]
        if fail(n):
            if commit_first:
                real(**kwargs)
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(writer, "store_run_events", store)
    return calls


def test_a_failed_batch_is_retried_with_the_same_seqs(live_executor, monkeypatch, fast_retries):
    calls = failing_store(monkeypatch, fail=lambda n: n % 3 == 1)
    run = start_slow_run(n=40, delay=0.005)
    wait_for(lambda: Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS, what="the run to succeed")
    got = assert_dense(run.run_id)
    custom = Event.objects.filter(run_id=run.run_id, event="custom").count()
    assert custom == 40 and calls["n"] > 3
    assert got[-1] == Event.objects.filter(run_id=run.run_id).count()


def test_a_write_that_committed_but_lost_its_answer_is_not_stored_twice(live_executor, monkeypatch, fast_retries):
    failing_store(monkeypatch, fail=lambda n: n in (1, 3), commit_first=True)
    run = start_slow_run(n=20, delay=0.005)
    wait_for(lambda: Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS, what="the run to succeed")
    assert_dense(run.run_id)
    assert Event.objects.filter(run_id=run.run_id, event="custom").count() == 20


def test_a_batch_that_cannot_be_stored_fails_the_run_visibly(live_executor, monkeypatch, fast_retries):
    state = {"broken": False}
    calls = failing_store(monkeypatch, fail=lambda n: state["broken"])
    run = start_slow_run(n=200, delay=0.01)
    wait_for(lambda: Event.objects.filter(run_id=run.run_id, event="custom").count() >= 5, what="some events")
    state["broken"] = True
    wait_for(lambda: Run.objects.get(pk=run.run_id).status == RunStatus.ERROR, what="the run to fail")
    stored = assert_dense(run.run_id)
    assert len(stored) < 200
    finished = Run.objects.get(pk=run.run_id)
    assert finished.error["error"] == "EventStoreError"
    # the writer gave up after its retries and stored nothing after the hole
    assert calls["n"] <= len(stored) + 1 + len(writer.RETRY_DELAYS) + 2


def test_stored_run_events_recognises_a_committed_batch(transactional_db):
    thread = make_thread()
    import uuid

    run_id = uuid.uuid4()
    rows = services.store_run_events(thread_id=thread.thread_id, run_id=run_id, first_seq=1,
                                     frames=[("custom", "1"), ("custom", "2")])
    assert services.stored_run_events(run_id=run_id, first_seq=1, count=2) == [tuple(r) for r in rows]
    assert services.stored_run_events(run_id=run_id, first_seq=1, count=3) == []
    assert services.stored_run_events(run_id=run_id, first_seq=3, count=1) == []
