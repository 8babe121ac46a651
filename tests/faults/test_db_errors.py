"""A database error at the end of a run (what a terminated connection or a database restart does to
the query in flight), in process and on both databases. Before: the run stayed ``running`` until
its lease expired (15 s by default), then was retried as a new attempt, or failed ``WorkerLost``.
Now the end is written again; one that committed before its answer was lost is not written twice."""
import threading

import pytest
from django.db import OperationalError

from runs import lifecycle
from runs.models import Run, RunStatus
from streaming import notify
from streaming.models import Event
from tests.factories import start_slow_run, wait_for
from threads.models import Thread


def fail_once(monkeypatch, name, *, commit_first=False):
    """``lifecycle.<name>`` raises a connection error on its first call (after committing, with
    ``commit_first``: the answer is lost, not the write)."""
    real = getattr(lifecycle, name)
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(**kwargs):
        with lock:
            calls["n"] += 1
            first = calls["n"] == 1
        if first:
            if commit_first:
                real(**kwargs)
            raise OperationalError("terminating connection due to administrator command")
        return real(**kwargs)

    monkeypatch.setattr(lifecycle, name, flaky)
    return calls


def ended(run_id):
    wait_for(lambda: Run.objects.get(pk=run_id).status not in (RunStatus.PENDING, RunStatus.RUNNING),
             timeout=30, what="the run to end")
    return Run.objects.get(pk=run_id)


@pytest.mark.parametrize("commit_first", [False, True], ids=["lost-write", "lost-answer"])
def test_a_failed_finish_is_written_again_not_left_to_its_lease(live_executor, monkeypatch, commit_first):
    calls = fail_once(monkeypatch, "finish_run", commit_first=commit_first)
    announced = []
    real_announce = notify.arun_finished

    async def announce(**kwargs):
        announced.append(kwargs["run_id"])
        await real_announce(**kwargs)

    monkeypatch.setattr(notify, "arun_finished", announce)
    run = start_slow_run(n=5, delay=0.05)
    finished = ended(run.run_id)
    assert finished.status == RunStatus.SUCCESS
    assert finished.attempt == 1, "the run was retried as a new attempt instead of its end being written again"
    assert calls["n"] == (1 if commit_first else 2)  # a committed end is recognised, not written twice
    assert Thread.objects.get(pk=run.thread_id).status == "idle"
    events = list(Event.objects.filter(run_id=run.run_id).order_by("seq").values_list("seq", "event"))
    assert [seq for seq, _ in events] == list(range(1, len(events) + 1))
    assert [event for _, event in events].count("metadata") == 1
    run_done = Event.objects.filter(thread_id=run.thread_id, run_id=None, data__contains='"run_done"')
    assert run_done.count() == 1  # the thread's log says the run is done, once
    # and its streams are told (stream.end): before, a lost answer left them waiting
    wait_for(lambda: announced == [run.run_id], what="the run's end to be announced")


def test_a_failed_rollback_is_written_again(live_executor, monkeypatch):
    from runs.services import cancel_runs

    calls = fail_once(monkeypatch, "rollback_run")
    run = start_slow_run(n=200, delay=0.01)
    cancel_runs(run_ids=[run.run_id], action="rollback")
    wait_for(lambda: not Run.objects.filter(pk=run.run_id).exists(), timeout=30, what="the run to be rolled back")
    assert calls["n"] == 2
    wait_for(lambda: Thread.objects.get(pk=run.thread_id).status == "idle", what="the thread to be released")


def test_a_failed_read_of_the_final_state_is_read_again(live_executor, monkeypatch):
    """Before: the thread row kept its old values (GET /threads/{id} disagreed with its state)."""
    from runs import execution

    real, calls = execution.mirror_of, {"n": 0}

    async def flaky(graph, config):
        # 1: the read through the run's own graph; 2: the read again after the run (final_state)
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("the checkpointer's connection was terminated")
        return await real(graph, config)

    monkeypatch.setattr(execution, "mirror_of", flaky)
    run = start_slow_run(n=5, delay=0.05)
    assert ended(run.run_id).status == RunStatus.SUCCESS
    assert calls["n"] == 2
    assert Thread.objects.get(pk=run.thread_id).values["ticks"] == [0, 1, 2, 3, 4, -1]
