"""Factories shared by the tests (the fixtures are in conftest.py).

Rows are written with the ORM for speed where a test only needs data to look at; anything that
executes goes through ``runs.services.create_run`` and the in-process executor.
"""
import time
import uuid
from datetime import timedelta

import orjson
from django.utils import timezone

from runs.models import Run, RunStatus
from streaming.models import Event, EventLog
from threads.models import Thread

SLOW_INPUT = {"n": 50, "delay": 0.05}


def make_thread(**fields):
    return Thread.objects.create(**fields)


def make_run(thread=None, *, status=RunStatus.SUCCESS, graph_id="steps", metadata=None, kwargs=None,
             error=None, output=None, age=None, ended_age=None):
    """A run row as the executor leaves it; ``age`` backdates created_at (and ended_at)."""
    thread = thread or make_thread(metadata={"graph_id": graph_id})
    now = timezone.now()
    finished = status not in (RunStatus.PENDING, RunStatus.RUNNING)
    run = Run.objects.create(
        thread=thread, assistant_id=uuid.uuid4(), graph_id=graph_id, status=status, metadata=metadata or {},
        kwargs=kwargs or {"input": {}, "config": {}, "context": {}, "stream_mode": ["values"]},
        available_at=now, started_at=None if status == RunStatus.PENDING else now,
        ended_at=now if finished else None, error=error, output=output,
    )
    if age is not None or ended_age is not None:
        created = now - (age if age is not None else ended_age)
        ended = now - (ended_age if ended_age is not None else age) if finished else None
        Run.objects.filter(pk=run.pk).update(created_at=created, updated_at=ended or created,
                                             started_at=created, ended_at=ended)
        run.refresh_from_db()
    return run


def make_events(run, count, *, event="custom", start=1, age=None):
    """``count`` run events with dense seq (and thread_seq taken from the thread's counter)."""
    head = EventLog.objects.get(pk=run.thread_id).head
    rows = [
        Event(thread_id=run.thread_id, run_id=run.run_id, seq=start + i, thread_seq=head + 1 + i,
              event=event, data=orjson.dumps({"tick": start + i - 1}).decode())
        for i in range(count)
    ]
    Event.objects.bulk_create(rows)
    EventLog.objects.filter(pk=run.thread_id).update(head=head + count)
    if age is not None:
        Event.objects.filter(run_id=run.run_id).update(created_at=timezone.now() - age)
    return rows


def wait_for(predicate, *, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def run_status(run_id):
    return Run.objects.filter(pk=run_id).values_list("status", flat=True).first()


def start_slow_run(*, thread_id=None, **input_overrides):
    """Create a run of the ``slow`` test graph through the services and wait until it executes."""
    from runs.serializers import RunCreateSerializer
    from runs.services import create_run

    body = {"assistant_id": "slow", "input": {**SLOW_INPUT, **input_overrides}, "stream_mode": ["custom"],
            "if_not_exists": "create"}
    serializer = RunCreateSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    run = create_run(payload=dict(serializer.validated_data), thread_id=thread_id or uuid.uuid4())
    wait_for(lambda: run_status(run.run_id) == RunStatus.RUNNING, what="the run to start")
    return run


def old(days):
    return timedelta(days=days)


# --- assistants API (DRF's test client) -------------------------------------------------------
ASSISTANT_FIELDS = ["assistant_id", "graph_id", "config", "context", "metadata", "name", "created_at",
                    "updated_at", "version", "description"]


def create_assistant(api, **body):
    response = api.post("/assistants", {"graph_id": "echo", **body}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def detail(response):
    return response.json()["detail"]
