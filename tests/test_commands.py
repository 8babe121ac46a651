"""manage.py commands for operators: runs, threads, tail, cancel_runs, purge, sync_assistants, check_graphs."""
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from assistants.models import Assistant
from runs.models import Run, RunStatus
from streaming.models import Event
from tests.factories import make_events, make_run, make_thread, old, run_status
from threads.models import Thread

pytestmark = pytest.mark.django_db
MISSING = "00000000-0000-0000-0000-000000000001"


def call(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- runs / threads ----------------------------------------------------------------------------
def test_runs_list_table_filters_and_json():
    thread = make_thread()
    done = make_run(thread, graph_id="steps", age=old(1))
    failed = make_run(thread, graph_id="fail", status=RunStatus.ERROR)
    other = make_run(graph_id="echo", status=RunStatus.PENDING)
    out, _ = call("runs")
    lines = out.splitlines()
    assert lines[0].split() == ["RUN", "STATUS", "GRAPH", "THREAD", "CREATED", "DURATION"]
    assert [line.split()[0] for line in lines[2:]] == [str(other.pk), str(failed.pk), str(done.pk)]
    out, _ = call("runs", "list", "--status", "error")
    assert str(failed.pk) in out and str(done.pk) not in out
    out, _ = call("runs", "--status", "active")
    assert str(other.pk) in out and str(failed.pk) not in out
    data = json.loads(call("runs", "--thread", str(thread.pk), "--json", "--limit", "1")[0])
    assert [row["run_id"] for row in data] == [str(failed.pk)]
    assert data[0]["graph_id"] == "fail" and data[0]["status"] == "error"
    assert call("runs", "--graph", "nope")[0].strip() == "no runs"


def test_runs_show_prints_the_run_and_its_events():
    run = make_run(kwargs={"input": {"q": "hello"}, "config": {"tags": ["x"]}, "context": {}, "stream_mode": ["custom"]},
                   error={"error": "ValueError", "message": "boom"}, status=RunStatus.ERROR, metadata={"who": "ops"})
    make_events(run, 2)
    out, _ = call("runs", "show", str(run.pk), "--events")
    assert "status:      error" in out and '"q": "hello"' in out and '"who": "ops"' in out
    assert '"message": "boom"' in out and "events (2):" in out and '[2] custom  {"tick":1}' in out
    data = json.loads(call("runs", "show", str(run.pk), "--json", "--events")[0])
    assert data["run_id"] == str(run.pk) and data["error"]["error"] == "ValueError"
    assert [e["id"] for e in data["events"]] == [1, 2]


@pytest.mark.parametrize("args, message", [
    (("runs", "show"), "needs a run id"),
    (("runs", "show", "nope"), "not a valid UUID"),
    (("runs", "show", MISSING), "not found"),
    (("runs", MISSING), f"run {MISSING} not found"),
    (("runs", "bogus"), "unknown action 'bogus'"),
    (("runs", "list", MISSING), "use `runs show"),
    (("runs", "--limit", "0"), "--limit must be at least 1"),
    (("runs", "--status", "weird"), "invalid choice"),
    (("runs", "--thread", "x"), "--thread"),
    (("threads", "show", MISSING), "not found"),
    (("threads", "--metadata", "[1]"), "expected a JSON object"),
    (("threads", "--metadata", "{oops"), "not valid JSON"),
])
def test_inspection_commands_reject_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call(*args)


def test_threads_list_and_show():
    thread = make_thread(metadata={"tenant": "acme"}, status="interrupted", values={"answer": 42},
                         interrupts={"t": [{"id": "i", "value": "approve?"}]})
    make_run(thread, graph_id="hitl")
    other = make_thread(metadata={"tenant": "globex"})
    out, _ = call("threads")
    assert str(thread.pk) in out and str(other.pk) in out and "interrupted" in out
    out, _ = call("threads", "--metadata", '{"tenant": "acme"}')
    assert str(thread.pk) in out and str(other.pk) not in out
    assert str(other.pk) not in call("threads", "--status", "interrupted")[0]
    out, _ = call("threads", "show", str(thread.pk))
    assert '"answer": 42' in out and '"value": "approve?"' in out and "hitl" in out
    data = json.loads(call("threads", "show", str(thread.pk), "--json")[0])
    assert data["values"] == {"answer": 42} and data["runs"][0]["graph_id"] == "hitl"
    listed = json.loads(call("threads", "--json", "--limit", "1")[0])
    assert len(listed) == 1


# --- tail --------------------------------------------------------------------------------------
def test_tail_run_no_follow_after_last_and_json():
    run = make_run()
    make_events(run, 4)
    out, _ = call("tail", "--run", str(run.pk), "--no-follow")
    assert out.splitlines() == [f'[{i}] custom  {{"tick":{i - 1}}}' for i in range(1, 5)]
    assert call("tail", "--run", str(run.pk), "--no-follow", "--after", "2")[0].splitlines()[0].startswith("[3]")
    assert call("tail", "--run", str(run.pk), "--no-follow", "-n", "1")[0].splitlines() == ['[4] custom  {"tick":3}']
    rows = [json.loads(line) for line in call("tail", "--run", str(run.pk), "--no-follow", "--json")[0].splitlines()]
    assert rows[0] == {"id": 1, "event": "custom", "data": {"tick": 0}}


def test_tail_of_a_finished_run_follows_until_its_end():
    run = make_run(status=RunStatus.SUCCESS)
    make_events(run, 2)
    out, err = call("tail", "--run", str(run.pk))
    assert len(out.splitlines()) == 2 and "ended success" in err


def test_tail_thread_prints_its_log():
    thread = make_thread()
    first, second = make_run(thread), make_run(thread)
    make_events(first, 2)
    make_events(second, 1, event="values", start=1)
    out, _ = call("tail", "--thread", str(thread.pk), "--no-follow")
    assert [line.split()[0:2] for line in out.splitlines()] == [["[1]", "custom"], ["[2]", "custom"], ["[3]", "values"]]
    rows = [json.loads(line) for line in call("tail", "--thread", str(thread.pk), "--no-follow", "--after", "2",
                                               "--json")[0].splitlines()]
    assert rows == [{"id": 3, "event": "values", "data": {"tick": 0}, "seq": 1}]


@pytest.mark.parametrize("args, message", [
    (("tail",), "one of the arguments --run --thread is required"),
    (("tail", "--run", MISSING, "--thread", MISSING), "not allowed with"),
    (("tail", "--run", MISSING), f"run {MISSING} not found"),
    (("tail", "--thread", MISSING), f"thread {MISSING} not found"),
    (("tail", "--run", "abc"), "--run: 'abc' is not a valid UUID"),
    (("tail", "--run", MISSING, "--after", "-1"), "--after: must be 0 or more"),
])
def test_tail_rejects_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call(*args)


# --- cancel_runs -------------------------------------------------------------------------------
def test_cancel_runs_by_id_reports_each_run():
    pending = make_run(status=RunStatus.PENDING)
    done = make_run(status=RunStatus.SUCCESS)
    out = StringIO()
    with pytest.raises(CommandError, match=f"1 run\\(s\\) not found: {MISSING}"):
        call_command("cancel_runs", "--run", str(pending.pk), "--run", str(done.pk), "--run", MISSING, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == [
        f"{pending.pk}: cancelled (interrupt): now interrupted",
        f"{done.pk}: already finished (success), nothing to cancel",
        f"{MISSING}: not found",
    ]
    assert run_status(pending.pk) == RunStatus.INTERRUPTED and run_status(done.pk) == RunStatus.SUCCESS


def test_cancel_runs_by_thread_and_by_status_with_rollback():
    thread = make_thread()
    on_thread = make_run(thread, status=RunStatus.PENDING)
    elsewhere = make_run(status=RunStatus.PENDING)
    out, _ = call("cancel_runs", "--thread", str(thread.pk))
    assert f"{on_thread.pk}: cancelled (interrupt)" in out and str(elsewhere.pk) not in out
    out, _ = call("cancel_runs", "--status", "pending", "--dry-run")
    assert f"{elsewhere.pk}: would be cancelled" in out and "1 run(s) would be cancelled" in out
    assert run_status(elsewhere.pk) == RunStatus.PENDING
    out, _ = call("cancel_runs", "--status", "all", "--action", "rollback")
    assert f"{elsewhere.pk}: cancelled (rollback): the run and its events were deleted" in out
    assert not Run.objects.filter(pk=elsewhere.pk).exists()
    assert "nothing to cancel" in call("cancel_runs", "--status", "running")[0]


@pytest.mark.parametrize("args, message", [
    (("cancel_runs",), "exactly one of --run, --thread or --status"),
    (("cancel_runs", "--status", "all", "--thread", MISSING), "exactly one of"),
    (("cancel_runs", "--run", "x"), "--run: 'x' is not a valid UUID"),
    (("cancel_runs", "--status", "finished"), "invalid choice"),
    (("cancel_runs", "--status", "all", "--action", "explode"), "invalid choice"),
])
def test_cancel_runs_rejects_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call(*args)


# --- purge -------------------------------------------------------------------------------------
def _purge_fixture():
    kept_thread = make_thread()
    old_run = make_run(kept_thread, ended_age=old(10))
    make_events(old_run, 3)
    recent = make_run(kept_thread)
    make_events(recent, 2)
    stuck = make_run(status=RunStatus.PENDING, age=old(10))
    temp = make_thread(temporary=True)
    temp_run = make_run(temp, ended_age=old(9))
    make_events(temp_run, 2)
    Thread.objects.filter(pk=temp.pk).update(updated_at=timezone.now() - old(9))
    gone = uuid.uuid4()  # events of a run deleted long ago, and of one deleted just now
    Event.objects.create(thread_id=kept_thread.pk, run_id=gone, seq=1, thread_seq=100, event="custom", data="{}")
    Event.objects.filter(run_id=gone).update(created_at=timezone.now() - old(8))
    Event.objects.create(thread_id=kept_thread.pk, run_id=uuid.uuid4(), seq=1, thread_seq=101, event="custom", data="{}")
    return {"kept_thread": kept_thread, "old_run": old_run, "recent": recent, "stuck": stuck, "temp": temp,
            "temp_run": temp_run, "gone": gone}


def test_purge_dry_run_counts_and_changes_nothing():
    _purge_fixture()
    before = (Run.objects.count(), Event.objects.count(), Thread.objects.count())
    out, _ = call("purge", "--older-than", "7d", "--dry-run")
    assert out.startswith("dry run: would delete 1 finished run(s) with 3 event(s); 1 temporary thread(s) "
                          "with 1 run(s) and 2 event(s); 1 orphaned event(s)")
    assert (Run.objects.count(), Event.objects.count(), Thread.objects.count()) == before


def test_purge_deletes_old_finished_runs_temporary_threads_and_orphaned_events():
    f = _purge_fixture()
    data = json.loads(call("purge", "--older-than", "7d", "--json")[0])
    assert {k: data[k] for k in ("runs", "run_events", "temporary_threads", "thread_runs", "thread_events",
                                 "orphaned_events")} == {"runs": 1, "run_events": 3, "temporary_threads": 1,
                                                         "thread_runs": 1, "thread_events": 2, "orphaned_events": 1}
    assert not Run.objects.filter(pk__in=[f["old_run"].pk, f["temp_run"].pk]).exists()
    assert not Event.objects.filter(run_id__in=[f["old_run"].pk, f["temp_run"].pk, f["gone"]]).exists()
    assert not Thread.objects.filter(pk=f["temp"].pk).exists()
    assert Run.objects.filter(pk__in=[f["recent"].pk, f["stuck"].pk]).count() == 2
    assert Thread.objects.filter(pk=f["kept_thread"].pk).exists()
    assert Event.objects.filter(run_id=f["recent"].pk).count() == 2 and Event.objects.count() == 3
    out, _ = call("purge", "--older-than", "7d")
    assert out.startswith("deleted 0 finished run(s)")


@pytest.mark.parametrize("args, message", [
    (("purge",), "--older-than"),
    (("purge", "--older-than", "7x"), "not a duration like 30m, 12h, 7d or 2w"),
    (("purge", "--older-than", "0d"), "more than zero"),
    (("purge", "--older-than", "1d", "--batch-size", "0"), "--batch-size must be at least 1"),
])
def test_purge_rejects_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call(*args)


# --- assistants / graphs -----------------------------------------------------------------------
def test_sync_assistants_is_idempotent():
    out, _ = call("sync_assistants")
    assert "created system assistant" in out and "14 created, 0 already present (14 graphs)" in out
    assert Assistant.objects.count() == 14
    assert call("sync_assistants")[0].strip() == "0 created, 14 already present (14 graphs)"


def test_check_graphs_lists_every_graph():
    out, _ = call("check_graphs")
    assert any(line.split()[:2] == ["slow", "graph"] for line in out.splitlines()) and "tick, after" in out and "factory(config)" in out
    assert "14 graph(s) OK" in out


def test_check_graphs_names_the_broken_graph(tmp_path):
    from tests.conftest import GRAPHS_CONFIG

    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"good": f"{GRAPHS_CONFIG.parent}/graphs.py:echo",
                                             "broken": "./missing.py:graph"}}))
    with pytest.raises(CommandError, match="Graph 'broken': file not found"):
        call("check_graphs", "--config", str(config))
    with pytest.raises(CommandError, match="not found"):
        call("check_graphs", "--config", str(tmp_path / "nope.json"))


def test_check_graphs_calls_factories(tmp_path):
    from tests.conftest import GRAPHS_CONFIG

    out, _ = call("check_graphs")
    assert "factory(runtime)" in out and "factory(config, runtime)" in out and "built" in out
    module = tmp_path / "bad.py"
    module.write_text("def raising(config):\n    raise RuntimeError('no api key')\n\n"
                      "def junk(runtime):\n    return 42\n")
    for attr, message in (("raising", "its factory failed: RuntimeError\\('no api key'\\)"),
                          ("junk", "expected a compiled graph, a StateGraph or a factory, got int")):
        config = tmp_path / f"{attr}.json"
        config.write_text(json.dumps({"graphs": {"good": f"{GRAPHS_CONFIG.parent}/graphs.py:echo",
                                                 "bad": f"./bad.py:{attr}"}}))
        with pytest.raises(CommandError, match=f"Graph 'bad': {message}"):
            call("check_graphs", "--config", str(config))
