"""The operator console: static files with DEBUG off, worker heartbeats, /ok's worker note, the
dashboard's numbers."""
import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from console import dashboard, heartbeat
from console.models import Worker
from runs.models import RunStatus
from tests.factories import make_run


def test_admin_css_is_served_by_daphne_with_debug_off(agent_server):
    # the live server is daphne with DEBUG unset (off), as in the README's production command
    response = httpx.get(f"{agent_server.url}/static/admin/css/base.css", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    for asset in ("console/console.css", "agentserver/vendor/chart.umd.min.js", "agentserver/vendor/mermaid.min.js"):
        assert httpx.get(f"{agent_server.url}/static/{asset}", timeout=10).status_code == 200, asset


def test_admin_css_is_served_in_process_with_debug_off(client, settings):
    assert settings.DEBUG is False
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200


def test_the_live_server_records_its_heartbeat(agent_server):
    # /ok reports the live executing processes (the embedded server is one)
    import time

    deadline = time.monotonic() + 15  # the first heartbeat follows the server's start by a moment
    while True:
        body = httpx.get(f"{agent_server.url}/ok", timeout=10).json()
        if body["workers"]["live"] >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert body["ok"] is True
    assert body["workers"]["live"] >= 1 and "detail" not in body["workers"]


@pytest.mark.django_db
def test_ok_says_when_worker_mode_has_no_live_worker(client, settings):
    settings.AGENTSERVER = {**settings.AGENTSERVER, "EXECUTOR": "worker"}
    body = client.get("/ok").json()
    assert body["ok"] is True
    assert body["workers"]["live"] == 0
    assert "manage.py worker" in body["workers"]["detail"]
    now = timezone.now()
    Worker.objects.create(worker_id="h:1:a", kind="worker", host="h", pid=1, executes=True, concurrency=4,
                          started_at=now, last_seen=now)
    body = client.get("/ok").json()
    assert body["workers"] == {"live": 1}
    Worker.objects.filter(pk="h:1:a").update(last_seen=now - timedelta(minutes=1))
    assert client.get("/ok").json()["workers"]["live"] == 0


@pytest.mark.django_db
def test_heartbeat_row_says_host_pid_and_running_runs():
    beat = heartbeat.Heartbeat(kind="worker", worker_id="w-1")
    beat.beat()
    row = Worker.objects.get(pk="w-1")
    assert row.kind == "worker" and row.pid > 0 and row.host and row.is_live
    first_seen = row.last_seen
    beat.beat()
    assert Worker.objects.get(pk="w-1").last_seen >= first_seen
    assert Worker.objects.count() == 1


def test_an_executor_records_its_row(live_executor):
    from runs.executor import get_executor
    from tests.factories import wait_for

    executor = get_executor()
    wait_for(lambda: Worker.objects.filter(pk=executor.worker_id).exists(), what="the heartbeat row")
    row = Worker.objects.get(pk=executor.worker_id)
    assert row.executes and row.concurrency == executor.concurrency and row.kind == "server"


@pytest.mark.django_db
def test_workers_admin_lists_live_workers(admin_client):
    now = timezone.now()
    Worker.objects.create(worker_id="alpha:11:x", kind="worker", host="alpha", pid=11, executes=True,
                          concurrency=8, running=3, started_at=now, last_seen=now)
    Worker.objects.create(worker_id="beta:12:y", kind="server", host="beta", pid=12, started_at=now,
                          last_seen=now - timedelta(minutes=5))
    html = admin_client.get("/admin/console/worker/?live=yes").content.decode()
    assert "alpha:11:x" in html and "3 / 8" in html and "beta:12:y" not in html
    html = admin_client.get("/admin/console/worker/").content.decode()
    assert "beta:12:y" in html


@pytest.mark.django_db
def test_dashboard_numbers_from_runs(admin_client):
    make_run(graph_id="echo", status=RunStatus.SUCCESS)
    make_run(graph_id="echo", status=RunStatus.ERROR, error={"error": "ValueError", "message": "x"})
    make_run(graph_id="steps", status=RunStatus.PENDING)
    data = dashboard.snapshot()
    assert data["pending"] == 1
    echo = next(g for g in data["graphs"] if g["graph_id"] == "echo")
    assert echo["finished"] == 2 and echo["errors"] == 1 and echo["error_rate"] == 0.5
    assert echo["p50"] is not None and echo["p95"] is not None
    assert sum(sum(v) for v in data["over_time"]["series"].values()) == 3
    response = admin_client.get("/admin/console/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "chart.umd.min.js" in html and 'id="dashboard-data"' in html
    assert admin_client.get("/admin/console/dashboard/?format=json").json()["pending"] == 1


def test_percentile():
    assert dashboard.percentile([], 0.5) is None
    assert dashboard.percentile([1.0], 0.95) == 1.0
    values = [float(i) for i in range(1, 101)]
    assert dashboard.percentile(values, 0.5) == 50.0 and dashboard.percentile(values, 0.95) == 95.0


def test_values_diff_shows_what_a_step_changed():
    from runs.admin_threads import values_diff

    assert values_diff({"a": 1, "m": [1]}, {"a": 1, "m": [1, 2], "b": 3}) == {"b": {"+": 3}, "m": {"appended": [2]}}
    assert values_diff({"a": 1}, {"a": 2}) == {"a": {"-": 1, "+": 2}}
    assert values_diff({"a": 1}, {}) == {"a": {"-": 1}}
    assert values_diff({"a": 1}, {"a": 1}) == {}


def test_thread_page_shows_a_transcript_and_the_checkpoint_history(admin_client, live_executor):
    from runs.models import Run
    from runs.services import create_run
    from tests.factories import wait_for

    run = create_run(payload={"assistant_id": "echo", "if_not_exists": "create",
                              "input": {"messages": [{"type": "human", "content": "hello <there>"}]}},
                     thread_id=__import__("uuid").uuid4())
    wait_for(lambda: Run.objects.get(pk=run.pk).status == RunStatus.SUCCESS, what="the run to finish")
    html = admin_client.get(f"/admin/threads/thread/{run.thread_id}/change/").content.decode()
    assert 'class="chat-transcript"' in html and "hello &lt;there&gt;" in html
    assert 'class="chat-msg chat-user"' in html and 'class="chat-msg chat-assistant"' in html
    assert 'class="checkpoint-history"' in html and "appended" in html


@pytest.mark.django_db
def test_assistant_page_draws_the_graph_with_mermaid_and_links_its_runs(admin_client):
    from assistants.models import Assistant
    from assistants.services import sync_system_assistants

    sync_system_assistants()
    assistant = Assistant.objects.get(graph_id="steps", metadata__created_by="system")
    html = admin_client.get(f"/admin/assistants/assistant/{assistant.pk}/change/").content.decode()
    assert 'class="mermaid assistant-graph"' in html and "graph TD" in html
    assert "agentserver/vendor/mermaid.min.js" in html
    assert f"/admin/runs/run/?q={assistant.pk}" in html


@pytest.mark.django_db
def test_rerun_from_the_admin_makes_a_new_run_with_the_same_input(admin_client):
    import shlex

    from django.urls import reverse

    from assistants.services import sync_system_assistants
    from runs.models import Run

    sync_system_assistants()
    from assistants.models import Assistant

    assistant = Assistant.objects.get(graph_id="steps", metadata__created_by="system")
    old = make_run(graph_id="steps", metadata={"who": "ops"},
                   kwargs={"input": {"x": 1}, "config": {"tags": ["a"]}, "context": {}, "stream_mode": ["updates"]})
    Run.objects.filter(pk=old.pk).update(assistant_id=assistant.pk)
    html = admin_client.get(reverse("admin:runs_run_change", args=[old.pk])).content.decode()
    assert "Copy as manage.py run" in html
    command = re.search(r'data-copy="(python manage.py run [^"]+)"', html).group(1)
    args = shlex.split(command.replace("&quot;", '"').replace("&#x27;", "'"))
    assert args[:5] == ["python", "manage.py", "run", "--graph", "steps"]
    assert args[args.index("--input") + 1] == '{"x":1}' and args[args.index("--thread") + 1] == str(old.thread_id)
    assert "--stream-mode" in args and args[args.index("--stream-mode") + 1] == "updates"
    response = admin_client.post(reverse("admin:runs_run_rerun", args=[old.pk]), follow=True)
    new = Run.objects.exclude(pk=old.pk).get()
    assert new.thread_id == old.thread_id and new.kwargs["input"] == {"x": 1}
    assert new.kwargs["config"].get("tags") == ["a"] and new.metadata["who"] == "ops"
    assert any(f"new run {new.pk}" in str(m) for m in response.context["messages"])
    assert admin_client.get(reverse("admin:runs_run_rerun", args=[old.pk])).status_code == 405
