"""The event writer loses nothing and leaves no hole: a failed batch is retried with the same seqs;
one that cannot be stored ends the run as an error (and no later event is stored after the hole).
(Terminated PostgreSQL connections: tests/faults/test_connections.py.)"""
import asyncio
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


class BlockingStore:
    """A stand-in for ``store_run_events`` that records each batch's frames and holds the first
    batch until ``release()``, so that the test decides what arrives while a batch is in flight."""

    def __init__(self):
        self.batches = []
        self.first_started = threading.Event()
        self._release = threading.Event()

    def __call__(self, *, thread_id, run_id, first_seq, frames):
        self.batches.append([name for name, _ in frames])
        if len(self.batches) == 1:
            self.first_started.set()
            self._release.wait(10)
        return [(first_seq + i, first_seq + i, name, data) for i, (name, data) in enumerate(frames)]

    def release(self):
        self._release.set()


@pytest.fixture
def blocking_store(monkeypatch):
    store = BlockingStore()
    monkeypatch.setattr(writer, "store_run_events", store)
    announced = []

    async def events_stored(*, thread_id, run_id, rows):
        announced.extend(row[0] for row in rows)

    monkeypatch.setattr(writer.notify, "aevents_stored", events_stored)
    store.announced = announced
    return store


def batch_window(seconds):
    from django.conf import settings
    from django.test import override_settings

    return override_settings(AGENTSERVER={**settings.AGENTSERVER, "EVENT_BATCH_WINDOW_SECONDS": seconds})


async def emit_during_first_batch(store, w, loop):
    """e1 goes out at once; e2..e6 arrive while it is being stored; e7..e9 right after it was."""
    w.emit("e1", "1")
    await loop.run_in_executor(None, store.first_started.wait, 5)
    for i in range(2, 7):
        w.emit(f"e{i}", str(i))
        await asyncio.sleep(0)
    store.release()
    while len(store.batches) < 2 and not w._pause:
        await asyncio.sleep(0.001)
    for i in range(7, 10):
        w.emit(f"e{i}", str(i))
        await asyncio.sleep(0)


@pytest.mark.parametrize("window", [0.5, 0])
async def test_a_burst_is_gathered_into_one_batch_for_the_window(blocking_store, window):
    loop = asyncio.get_running_loop()
    with batch_window(window):
        w = writer.EventWriter(thread_id="t", run_id="r")
        await emit_during_first_batch(blocking_store, w, loop)
        await asyncio.wait_for(w.aclose(), 5)
    sizes = [len(batch) for batch in blocking_store.batches]
    if window:
        assert sizes == [1, 8]
    else:  # stored as soon as possible: e7.. come after e2..e6 were taken
        assert sizes[:2] == [1, 5] and len(sizes) >= 3
    assert sum(blocking_store.batches, []) == [f"e{i}" for i in range(1, 10)]
    assert blocking_store.announced == list(range(1, 10)) and w.last_seq == 9


async def test_the_runs_end_cuts_the_wait_for_more_events_short(blocking_store):
    loop = asyncio.get_running_loop()
    with batch_window(60):
        w = writer.EventWriter(thread_id="t", run_id="r")
        w.emit("e1", "1")
        await loop.run_in_executor(None, blocking_store.first_started.wait, 5)
        w.emit("e2", "2")
        blocking_store.release()
        while not w._pause:  # the flusher now waits up to a minute for more
            await asyncio.sleep(0.001)
        await asyncio.wait_for(w.aclose(), 5)
    assert blocking_store.batches == [["e1"], ["e2"]] and w.last_seq == 2
