"""The database-computed metrics, in process, on rows written for the purpose."""
from datetime import timedelta

from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from console.models import Worker
from interop.metrics import prometheus_text, queue_stats
from runs.models import Run, RunStatus
from threads.models import Thread


def _run(*, status, seconds=None, graph_id="steps", **fields):
    thread = Thread.objects.create(metadata={"graph_id": graph_id})
    now = timezone.now()
    timing = {"started_at": now - timedelta(seconds=seconds), "ended_at": now} if seconds is not None else {}
    return Run.objects.create(thread=thread, assistant_id=thread.thread_id, graph_id=graph_id, status=status,
                              available_at=fields.pop("available_at", now), **timing, **fields)


def _samples():
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(prometheus_text().decode()) for s in family.samples}


def test_durations_queue_and_workers(db):
    now = timezone.now()
    _run(status=RunStatus.SUCCESS, seconds=2)
    _run(status=RunStatus.SUCCESS, seconds=0.05)
    _run(status=RunStatus.ERROR, seconds=40)
    _run(status=RunStatus.PENDING, available_at=now - timedelta(seconds=30))
    _run(status=RunStatus.PENDING, available_at=now + timedelta(hours=1))  # scheduled: not in the queue
    _run(status=RunStatus.RUNNING, seconds=1, worker_id="w1", lease_expires_at=now + timedelta(seconds=10))
    Worker.objects.create(worker_id="w1", kind="worker", host="h", pid=1, executes=True, concurrency=8, running=1,
                          started_at=now, last_seen=now)
    Worker.objects.create(worker_id="gone", kind="worker", host="h", pid=2, executes=True, concurrency=8,
                          started_at=now, last_seen=now - timedelta(hours=2))

    samples = _samples()
    ok = (("graph_id", "steps"), ("status", "success"))
    assert samples[("lg_api_run_duration_seconds_count", ok)] == 2
    assert samples[("lg_api_run_duration_seconds_bucket", (*ok[:1], ("le", "0.1"), ok[1]))] == 1
    assert samples[("lg_api_run_duration_seconds_bucket", (*ok[:1], ("le", "1.0"), ok[1]))] == 1
    assert samples[("lg_api_run_duration_seconds_bucket", (*ok[:1], ("le", "2.5"), ok[1]))] == 2
    assert 2.0 < samples[("lg_api_run_duration_seconds_sum", ok)] < 2.2
    assert samples[("lg_api_runs", (("graph_id", "steps"), ("status", "pending")))] == 2
    assert samples[("lg_api_num_pending_runs", ())] == 2 and samples[("lg_api_queue_depth", ())] == 1
    assert samples[("lg_api_pending_runs_wait_time_max_seconds", ())] >= 30
    assert samples[("lg_api_workers", ())] == 1 and samples[("lg_api_workers_max", ())] == 8
    assert samples[("lg_api_workers_active", ())] == 1 and samples[("lg_api_workers_available", ())] == 7
    assert samples[("lg_api_threads", (("status", "idle"),))] == 6


def test_empty_database(db):
    stats = queue_stats()
    assert stats["n_pending"] == stats["workers"] == stats["workers_max"] == 0
    assert stats["pending_wait_max_seconds"] == 0.0
