"""The run state machine (runs.lifecycle, RunQuerySet/ThreadQuerySet transitions) on the database.

Rows are written with the ORM; nothing executes a graph. The compare-and-set transitions are
checked one after the other (``db``) and, for the claim, from two threads at once (``transactional_db``).
"""
import threading
import uuid
from datetime import timedelta

import orjson
import pytest
from django.db import connection
from django.utils import timezone

from runs import lifecycle
from runs.models import CancelAction, Run, RunStatus
from streaming.models import Event
from threads.models import Thread, ThreadStatus

CHECKPOINTED = {"values": {"n": 1}, "status": ThreadStatus.IDLE, "interrupts": {}}


def make_run(thread=None, *, status=RunStatus.PENDING, available_in=0, kwargs=None):
    thread = thread or Thread.objects.create_now(metadata={"graph_id": "steps"})
    return Run.objects.create(
        thread=thread, assistant_id=uuid.uuid4(), graph_id="steps", status=status,
        kwargs=kwargs or {"input": {}, "stream_mode": ["values"]},
        available_at=timezone.now() + timedelta(seconds=available_in),
    )


def claimed(run, worker="w1"):
    return lifecycle.claim_run(run.run_id, run.thread_id, worker)


def states(run):
    run.refresh_from_db()
    thread = Thread.objects.get(pk=run.thread_id)
    return run.status, thread.status, thread.active_run_id


def run_done_events(run):
    """Thread-level ``run_done`` frames of ``run`` (thread events carry no run_id)."""
    rows = Event.objects.filter(thread_id=run.thread_id, run_id__isnull=True, event="metadata")
    return rows.filter(data__contains="run_done").filter(data__contains=str(run.run_id)).count()


@pytest.fixture
def agent_settings(settings):
    def change(**options):
        settings.AGENTSERVER = {**getattr(settings, "AGENTSERVER", {}), **options}
    return change


# --- claim ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_claim_takes_run_and_thread_once():
    run = make_run()
    first = claimed(run, "w1")
    assert first is not None and first.attempt == 1 and first.start_seq == 1
    assert states(run) == (RunStatus.RUNNING, ThreadStatus.BUSY, run.run_id)
    assert run.worker_id == "w1" and run.lease_expires_at is not None and run.started_at is not None
    assert claimed(run, "w2") is None
    assert states(run)[0] == RunStatus.RUNNING and run.worker_id == "w1" and run.attempt == 1


@pytest.mark.django_db
def test_one_run_per_thread():
    first = make_run()
    second = make_run(first.thread)
    assert [c.run_id for c in lifecycle.claim_runs(worker_id="w1", limit=5)] == [first.run_id]
    assert claimed(second) is None
    assert states(second) == (RunStatus.PENDING, ThreadStatus.BUSY, first.run_id)


@pytest.mark.django_db
def test_lost_run_cas_rolls_back_the_thread():
    run = make_run(available_in=60)  # not available yet: the thread CAS wins, the run CAS loses
    assert claimed(run) is None
    assert states(run) == (RunStatus.PENDING, ThreadStatus.IDLE, None)
    assert not Event.objects.filter(run_id=run.run_id).exists()


@pytest.fixture
def no_local_claims():
    """The in-process executor (started by earlier tests) must not claim this test's runs."""
    from runs.executor import get_executor

    executor = get_executor()
    saved = executor.only_run_ids if executor else None
    if executor:
        executor.only_run_ids = set()
    yield
    if executor:
        executor.only_run_ids = saved


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_only_one_wins(no_local_claims):
    for _ in range(3):
        run = make_run()
        barrier, results = threading.Barrier(2), {}

        def claim(worker, run=run, barrier=barrier, results=results):
            try:
                barrier.wait()
                results[worker] = claimed(run, worker)
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(worker,)) for worker in ("w1", "w2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        winners = [worker for worker, result in results.items() if result is not None]
        assert len(results) == 2 and len(winners) == 1
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING and run.worker_id == winners[0] and run.attempt == 1
        assert Event.objects.filter(run_id=run.run_id).count() == 1  # one metadata frame


# --- finish ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_finish_only_from_running():
    run = make_run()
    finish = {"run_id": run.run_id, "thread_id": run.thread_id, "error": None, "mirror": CHECKPOINTED}
    assert lifecycle.finish_run(status=RunStatus.SUCCESS, **finish) is False  # still pending
    assert states(run) == (RunStatus.PENDING, ThreadStatus.IDLE, None) and run.ended_at is None
    claimed(run)
    assert lifecycle.finish_run(status=RunStatus.SUCCESS, **finish) is True
    assert states(run) == (RunStatus.SUCCESS, ThreadStatus.IDLE, None)
    assert run.output == {"n": 1} and run.ended_at is not None and run.lease_expires_at is None
    assert Thread.objects.get(pk=run.thread_id).values == {"n": 1}
    assert lifecycle.finish_run(status=RunStatus.ERROR, **finish) is False  # already over
    assert states(run)[0] == RunStatus.SUCCESS and run_done_events(run) == 1


@pytest.mark.django_db
def test_finish_needs_a_final_status():
    run = make_run()
    claimed(run)
    with pytest.raises(ValueError):
        Run.objects.finish(run.run_id, status=RunStatus.PENDING, error=None, output=None)


@pytest.mark.django_db
def test_finish_mirrors_the_outcome_on_the_thread():
    waiting = {"values": {"n": 2}, "status": ThreadStatus.INTERRUPTED, "interrupts": {"t1": [{"id": "i", "value": 1}]}}
    cases = [
        (RunStatus.ERROR, {"error": "Boom", "message": "x"}, CHECKPOINTED,
         ThreadStatus.ERROR, {"__error__": {"error": "Boom", "message": "x"}}),
        (RunStatus.INTERRUPTED, None, CHECKPOINTED, ThreadStatus.INTERRUPTED, {"n": 1}),
        (RunStatus.SUCCESS, None, waiting, ThreadStatus.INTERRUPTED,
         {"n": 2, "__interrupt__": [{"value": 1, "id": "i", "response_schema": None}]}),
    ]
    for status, error, mirror, thread_status, output in cases:
        run = make_run()
        claimed(run)
        lifecycle.finish_run(run_id=run.run_id, thread_id=run.thread_id, status=status, error=error, mirror=mirror)
        assert states(run) == (status, thread_status, None)
        assert run.output == output
        thread = Thread.objects.get(pk=run.thread_id)
        assert thread.error == run.error
        assert thread.interrupts == mirror["interrupts"]
    assert run.error is None
    assert Run.objects.filter(status=RunStatus.INTERRUPTED).get().error == lifecycle.USER_INTERRUPT


@pytest.mark.django_db
def test_finish_without_checkpoint_keeps_thread_values():
    run = make_run()
    Thread.objects.filter(pk=run.thread_id).update(values={"old": True})
    claimed(run)
    no_state = {"values": None, "status": ThreadStatus.IDLE, "interrupts": {}}
    lifecycle.finish_run(run_id=run.run_id, thread_id=run.thread_id, status=RunStatus.SUCCESS, error=None, mirror=no_state)
    assert Thread.objects.get(pk=run.thread_id).values == {"old": True}


@pytest.mark.django_db
def test_rollback_deletes_the_run_and_frees_the_thread():
    run = make_run()
    claimed(run)
    lifecycle.rollback_run(run_id=run.run_id, thread_id=run.thread_id)
    assert not Run.objects.filter(pk=run.run_id).exists()
    assert not Event.objects.filter(run_id=run.run_id).exists()
    thread = Thread.objects.get(pk=run.thread_id)
    assert (thread.status, thread.active_run_id, thread.error) == (ThreadStatus.IDLE, None, lifecycle.USER_ROLLBACK)


# --- hand back, expire -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_hand_back_only_by_the_owner():
    run = make_run()
    claimed(run, "w1")
    assert lifecycle.hand_back(run_ids=[run.run_id], worker_id="w2") == []
    assert states(run)[0] == RunStatus.RUNNING
    assert lifecycle.hand_back(run_ids=[run.run_id], worker_id="w1") == [run.run_id]
    assert states(run) == (RunStatus.PENDING, ThreadStatus.BUSY, None)  # busy until claimed again
    assert run.worker_id == "" and run.lease_expires_at is None
    again = claimed(run, "w2")
    assert again is not None and again.attempt == 2


def expire_lease(run):
    Run.objects.filter(pk=run.run_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_expired_lease_is_retried(agent_settings):
    agent_settings(ON_WORKER_CRASH="retry", MAX_ATTEMPTS=3)
    run = make_run()
    claimed(run)
    assert lifecycle.recover_expired(worker_id="w9") == ([], [])  # the lease still holds
    expire_lease(run)
    assert lifecycle.recover_expired(worker_id="w9") == ([(run.run_id, run.thread_id)], [])
    assert states(run) == (RunStatus.PENDING, ThreadStatus.BUSY, None)
    assert run.worker_id == "" and run.available_at <= timezone.now() and run_done_events(run) == 0
    assert claimed(run, "w2").attempt == 2
    # each attempt starts with a metadata frame carrying its number
    frames = Event.objects.filter(run_id=run.run_id, event="metadata").order_by("seq").values_list("data", flat=True)
    assert [orjson.loads(data)["attempt"] for data in frames] == [1, 2]


@pytest.mark.django_db
def test_expired_lease_fails_after_the_last_attempt(agent_settings):
    agent_settings(ON_WORKER_CRASH="retry", MAX_ATTEMPTS=1)
    run = make_run()
    claimed(run, "w1")
    expire_lease(run)
    assert lifecycle.recover_expired(worker_id="w9") == ([], [(run.run_id, run.thread_id)])
    assert states(run) == (RunStatus.ERROR, ThreadStatus.ERROR, None)
    assert run.error["error"] == "WorkerLost" and "w1" in run.error["message"] and run.ended_at is not None
    assert Thread.objects.get(pk=run.thread_id).error == run.error
    assert run_done_events(run) == 1
    assert lifecycle.recover_expired(worker_id="w9") == ([], [])


@pytest.mark.django_db
def test_a_run_failed_by_worker_lost_ends_its_log_with_an_error_frame(agent_settings):
    """A stream of the run then ends with an ``error`` event, not like a normal end of run."""
    agent_settings(ON_WORKER_CRASH="retry", MAX_ATTEMPTS=1)
    run = make_run()
    claimed(run, "w1")  # stores the metadata frame (seq 1)
    expire_lease(run)
    lifecycle.recover_expired(worker_id="w9")
    events = list(Event.objects.filter(run_id=run.run_id).order_by("seq").values_list("seq", "event", "data"))
    assert [(seq, event) for seq, event, _ in events] == [(1, "metadata"), (2, "error")]
    assert "WorkerLost" in events[-1][2]


@pytest.mark.django_db
def test_expire_loses_to_a_renewed_lease():
    run = make_run()
    claimed(run)
    past = timezone.now()
    assert not Run.objects.expire(run.run_id, now=past - timedelta(seconds=60), retry=True)
    assert states(run)[0] == RunStatus.RUNNING


# --- cancel ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_cancel_ends_pending_and_flags_running():
    waiting, running = make_run(), make_run()
    claimed(running)
    cancelled = lifecycle.request_cancel(run_ids=[waiting.run_id, running.run_id], action=CancelAction.INTERRUPT)
    assert set(cancelled) == {waiting.run_id, running.run_id}
    assert states(waiting)[0] == RunStatus.INTERRUPTED and waiting.ended_at is not None
    assert states(running)[0] == RunStatus.RUNNING and running.cancel_action == CancelAction.INTERRUPT
    assert lifecycle.renew_leases(worker_id="w1", run_ids=[running.run_id]) == {running.run_id: "interrupt"}


@pytest.mark.django_db
def test_rollback_cancel_deletes_pending():
    run = make_run()
    assert lifecycle.request_cancel(run_ids=[run.run_id], action=CancelAction.ROLLBACK) == [run.run_id]
    assert not Run.objects.filter(pk=run.run_id).exists()


# --- stateless runs --------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_settle_stateless_run_waits_for_the_attached_stream(no_local_claims):
    from asgiref.sync import sync_to_async

    def setup():
        thread = Thread.objects.create_now(temporary=True)
        return make_run(thread, status=RunStatus.SUCCESS, kwargs={"temporary": True, "attached": True})

    run = await sync_to_async(setup)()
    assert await lifecycle.settle_stateless_run(run_id=run.run_id, thread_id=run.thread_id) is False
    assert await Thread.objects.filter(pk=run.thread_id).aexists()
    assert await lifecycle.settle_stateless_run(run_id=run.run_id, thread_id=run.thread_id, detach=True) is True
    assert not await Thread.objects.filter(pk=run.thread_id).aexists()
    assert not await Run.objects.filter(pk=run.run_id).aexists()


@pytest.mark.django_db
def test_settle_keeps_active_and_kept_runs():
    running = make_run(Thread.objects.create_now(temporary=True), kwargs={"temporary": True})
    kept = make_run(Thread.objects.create_now(temporary=True), status=RunStatus.SUCCESS,
                    kwargs={"temporary": True, "on_completion": "keep"})
    for run in (running, kept):
        assert lifecycle._settle_rows(run_id=run.run_id, thread_id=run.thread_id, detach=True) is False
        assert Thread.objects.filter(pk=run.thread_id).exists()


# --- the thread side -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_thread_acquire_release_and_mirror():
    thread = Thread.objects.create_now()
    run_a, run_b = uuid.uuid4(), uuid.uuid4()
    assert Thread.objects.acquire(thread.pk, run_id=run_a) is True
    assert Thread.objects.acquire(thread.pk, run_id=run_b) is False
    assert Thread.objects.mirror_state(thread.pk, CHECKPOINTED) == 0  # not while a run holds it
    assert Thread.objects.release(thread.pk, run_id=run_b, status=ThreadStatus.IDLE) == 0  # not its holder
    assert Thread.objects.release(thread.pk, run_id=run_a, status=ThreadStatus.IDLE) == 1
    assert Thread.objects.mirror_state(thread.pk, CHECKPOINTED) == 1
    thread.refresh_from_db()
    assert (thread.status, thread.active_run_id, thread.values) == (ThreadStatus.IDLE, None, {"n": 1})


def test_a_run_queued_behind_another_starts_when_its_thread_frees_not_at_the_next_poll(settings, live_executor):
    """The end of a run claims the run queued behind it on its thread at once: with the fallback
    poll at 30 s, the second run starts within a second of the first one's end."""
    from runs.serializers import RunCreateSerializer
    from runs.services import create_run
    from tests.factories import start_slow_run, wait_for

    first = start_slow_run(n=25, delay=0.04)  # outlasts the executor's current (1-s) poll wait
    settings.AGENTSERVER = {**settings.AGENTSERVER, "POLL_SECONDS": 30.0}
    serializer = RunCreateSerializer(data={"assistant_id": "slow", "input": {"n": 1, "delay": 0.01}})
    assert serializer.is_valid(), serializer.errors
    second = create_run(payload=dict(serializer.validated_data), thread_id=first.thread_id)
    wait_for(lambda: Run.objects.get(pk=second.pk).status == RunStatus.SUCCESS, timeout=15, what="the queued run")
    first, second = Run.objects.get(pk=first.pk), Run.objects.get(pk=second.pk)
    gap = (second.started_at - first.ended_at).total_seconds()
    assert first.status == RunStatus.SUCCESS and 0 <= gap < 1.0, gap


def test_runs_handed_over_at_capacity_start_as_slots_free_not_at_the_next_poll(settings, live_executor):
    """An executor at capacity keeps the runs handed over to it and starts each one when a slot
    frees (concurrency 1, fallback poll 30 s: three runs on three threads run back to back)."""
    from agentserver import runtime
    from runs.executor import get_executor
    from runs.serializers import RunCreateSerializer
    from runs.services import create_run
    from tests.factories import wait_for

    settings.AGENTSERVER = {**settings.AGENTSERVER, "POLL_SECONDS": 30.0}
    executor = get_executor()
    runtime.call(_set_concurrency(executor, 1))
    serializer = RunCreateSerializer(data={"assistant_id": "slow", "input": {"n": 4, "delay": 0.05}, "if_not_exists": "create"})
    assert serializer.is_valid(), serializer.errors
    runs = [create_run(payload=dict(serializer.validated_data), thread_id=uuid.uuid4()) for _ in range(3)]
    wait_for(lambda: all(run_done(r.pk) for r in runs), timeout=20, what="the three runs")
    rows = sorted(Run.objects.filter(pk__in=[r.pk for r in runs]), key=lambda r: r.started_at)
    assert [r.status for r in rows] == [RunStatus.SUCCESS] * 3
    gaps = [(b.started_at - a.ended_at).total_seconds() for a, b in zip(rows, rows[1:])]
    assert all(-0.05 <= gap < 1.0 for gap in gaps), gaps  # one at a time, each right after the previous


async def _set_concurrency(executor, n):
    executor.concurrency = n


def run_done(run_id):
    return Run.objects.filter(pk=run_id, status__in=[RunStatus.SUCCESS, RunStatus.ERROR]).exists()


def test_a_run_that_can_start_at_once_is_created_claimed_in_one_transaction(live_executor):
    """On an idle thread with a free executor slot, create_run stores the run RUNNING with this
    executor's lease, the thread taken and the metadata frame (seq 1), and the run then completes."""
    from runs.executor import get_executor
    from runs.serializers import RunCreateSerializer
    from runs.services import create_run, executes_here
    from tests.factories import wait_for

    executor = get_executor()
    serializer = RunCreateSerializer(data={"assistant_id": "slow", "input": {"n": 3, "delay": 0.05}, "if_not_exists": "create"})
    assert serializer.is_valid(), serializer.errors
    run = create_run(payload=dict(serializer.validated_data), thread_id=uuid.uuid4())
    assert (run.status, run.attempt, run.worker_id) == (RunStatus.RUNNING, 1, executor.worker_id)
    assert executes_here(run)  # its streams skip the re-read of a late Redis join
    # a second run on the same (now busy) thread waits: pending, for whichever executor claims it
    queued = create_run(payload=dict(serializer.validated_data), thread_id=run.thread_id)
    assert queued.status == RunStatus.PENDING and not executes_here(queued)
    stored = Run.objects.get(pk=run.pk)
    assert stored.status in (RunStatus.RUNNING, RunStatus.SUCCESS) and stored.started_at is not None
    first = Event.objects.filter(run_id=run.pk).order_by("seq").first()
    assert (first.seq, first.event) == (1, "metadata")
    assert orjson.loads(first.data) == {"run_id": str(run.pk), "attempt": 1}
    wait_for(lambda: run_done(run.pk), timeout=15, what="the run")
    events = list(Event.objects.filter(run_id=run.pk).order_by("seq").values_list("seq", flat=True))
    assert events == list(range(1, len(events) + 1))  # no second metadata frame, no hole
    assert Run.objects.get(pk=run.pk).status == RunStatus.SUCCESS and executor._reserved == 0


def test_a_creation_that_fails_after_reserving_a_slot_gives_it_back(live_executor, monkeypatch):
    from runs.executor import get_executor
    from runs.serializers import RunCreateSerializer
    from runs.services import create_run

    def broken(claimed):
        raise RuntimeError("boom")

    monkeypatch.setattr(lifecycle, "start_created", broken)
    serializer = RunCreateSerializer(data={"assistant_id": "slow", "input": {"n": 1}, "if_not_exists": "create"})
    assert serializer.is_valid(), serializer.errors
    thread_id = uuid.uuid4()
    with pytest.raises(RuntimeError, match="boom"):
        create_run(payload=dict(serializer.validated_data), thread_id=thread_id)
    assert get_executor()._reserved == 0
    assert not Run.objects.filter(thread_id=thread_id).exists() and not Thread.objects.filter(pk=thread_id).exists()
