"""manage.py run / tail / cancel_runs against runs that really execute (in-process executor)."""
import json
import threading
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from runs.models import Run, RunStatus
from tests.factories import (
    run_status,
    start_slow_run,
    wait_for,
)
from threads.models import Thread

pytestmark = pytest.mark.django_db(transaction=True)


def run_cmd(*args):
    out, err = StringIO(), StringIO()
    call_command("run", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_run_prints_the_stream_and_the_summary(live_executor):
    out, err = run_cmd("--graph", "steps", "--stream-mode", "updates", "--stream-mode", "custom",
                       "--metadata", '{"from": "shell"}')
    lines = out.splitlines()
    assert lines[0].startswith("[1] metadata  {") and '"attempt":1' in lines[0]
    assert '[4] updates  {"one":{"counter":1,"log":["one"]}}' in lines
    assert lines[-1] == '[10] updates  {"three":{"counter":3,"log":["three"]}}'
    assert "ended success" in err and "(10 events)" in err
    run = Run.objects.get()
    assert run.metadata["from"] == "shell" and run.metadata["graph_id"] == "steps" and run.kwargs["stream_mode"] == ["updates", "custom"]
    assert Thread.objects.get(pk=run.thread_id).values["counter"] == 3
    assert f"on thread {run.thread_id}" in err


def test_run_exits_non_zero_when_the_run_fails(live_executor):
    with pytest.raises(CommandError, match="ended error .*ValueError: boom: deliberate failure"):
        run_cmd("--graph", "fail", "--input", '{"x": 1}')
    assert Run.objects.get().status == RunStatus.ERROR


def test_run_continues_a_thread_and_resumes_an_interrupt(live_executor):
    thread_id = str(uuid.uuid4())
    out, err = run_cmd("--graph", "hitl", "--thread", thread_id, "--create-thread", "--input", '{"question": "ok?"}')
    assert "waiting on an interrupt" in err and '"question":"ok?"' in out
    out, err = run_cmd("--graph", "hitl", "--thread", thread_id, "--resume", '"yes"', "--quiet")
    assert err == "" and '"answer":"yes"' in out and '"done":true' in out
    assert Thread.objects.get(pk=thread_id).values["done"] is True
    assert Run.objects.filter(thread_id=thread_id).count() == 2


def test_run_timeout_interrupts_the_run(live_executor):
    with pytest.raises(CommandError, match="did not finish within 0.5s; it was interrupted"):
        run_cmd("--graph", "slow", "--input", '{"n": 50, "delay": 0.05}', "--stream-mode", "custom",
                "--timeout", "0.5")
    run = Run.objects.get()
    wait_for(lambda: run_status(run.pk) == RunStatus.INTERRUPTED, timeout=10, what="the run to stop")


@pytest.mark.parametrize("args, message", [
    (("--graph", "nope"), "Invalid assistant: 'nope'"),
    (("--graph", "steps", "--input", "{bad"), "--input: not valid JSON"),
    (("--graph", "steps", "--config", "[]"), "--config: expected a JSON object"),
    (("--graph", "steps", "--thread", "abc"), "--thread: 'abc' is not a valid UUID"),
    (("--graph", "steps", "--thread", str(uuid.UUID(int=7))), "not found \\(add --create-thread"),
    (("--graph", "steps", "--create-thread"), "--create-thread needs --thread"),
    (("--graph", "steps", "--stream-mode", "everything"), "invalid choice"),
    (("--graph", "steps", "--timeout", "0"), "--timeout must be a positive"),
    (("--graph", "steps", "--config", '{"recursion_limit": 0}'), "invalid run: config: recursion_limit"),
    ((), "the following arguments are required: --assistant"),
])
def test_run_rejects_bad_arguments(live_executor, args, message):
    with pytest.raises(CommandError, match=message):
        run_cmd(*args)
    assert not Run.objects.exists()


def test_tail_follows_a_live_run_until_it_ends(live_executor):
    run = start_slow_run(n=10, delay=0.03)
    out = StringIO()
    call_command("tail", "--run", str(run.pk), "--json", stdout=out, stderr=StringIO())
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["id"] for row in rows] == list(range(1, len(rows) + 1))
    assert [row["data"]["tick"] for row in rows if row["event"] == "custom"] == list(range(10))
    assert run_status(run.pk) == RunStatus.SUCCESS


def test_tail_thread_follows_until_the_thread_is_deleted(live_executor):
    run = start_slow_run(n=4, delay=0.02)
    out = StringIO()
    follower = threading.Thread(target=call_command, args=("tail", "--thread", str(run.thread_id)),
                                kwargs={"stdout": out, "stderr": StringIO()})
    follower.start()
    wait_for(lambda: run_status(run.pk) == RunStatus.SUCCESS, what="the run to finish")
    wait_for(lambda: "run_done" in out.getvalue(), what="the thread's run_done event")
    from threads.services import delete_thread

    delete_thread(thread_id=run.thread_id)
    follower.join(5)
    assert not follower.is_alive()
    assert out.getvalue().count("custom") == 4


def test_cancel_runs_waits_for_an_executing_run_to_stop(live_executor):
    run = start_slow_run()
    out = StringIO()
    call_command("cancel_runs", "--run", str(run.pk), "--wait", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] in (f"{run.pk}: cancel requested (interrupt); its executor is stopping it",
                        f"{run.pk}: cancelled (interrupt): now interrupted")
    assert lines[-1] == f"{run.pk}: interrupted"
    assert run_status(run.pk) == RunStatus.INTERRUPTED
