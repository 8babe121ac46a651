"""What an operator reads when the server cannot start or serve: one line naming the problem, and
the exit status."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def env_for(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env.update(AGENTSERVER_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
               LANGGRAPH_CONFIG=str(ROOT / "tests" / "graphs" / "langgraph.json"))
    env.update(extra)
    return env


def manage(env, *args, timeout=60):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def broken_graphs(tmp_path):
    (tmp_path / "g.py").write_text("import no_such_module_for_agentserver\ngraph = None\n")
    config = tmp_path / "langgraph.json"
    config.write_text('{"graphs": {"agent": "./g.py:graph"}}')
    return str(config)


def test_runserver_on_a_busy_port_exits_non_zero_and_starts_nothing(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = manage(env_for(tmp_path), "runserver", "--noreload", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "executor" not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_runserver_with_a_graph_that_cannot_load_says_so_in_one_line(tmp_path, broken_graphs):
    result = manage(env_for(tmp_path, LANGGRAPH_CONFIG=broken_graphs), "runserver", "--noreload", str(free_port()))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Graph 'agent'" in lines[0] and "./g.py" in lines[0] and "ModuleNotFoundError" in lines[0]


def test_daphne_with_a_graph_that_cannot_load_names_it_before_the_traceback(tmp_path, broken_graphs):
    env = env_for(tmp_path, LANGGRAPH_CONFIG=broken_graphs)
    result = subprocess.run([sys.executable, "-m", "daphne", "-p", str(free_port()), "agentserver.asgi:application"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith("agentserver: cannot start: Graph 'agent'")
    assert "./g.py" in first and "no_such_module_for_agentserver" in first
    assert result.stderr.index(first) < result.stderr.index("Traceback")


@pytest.mark.parametrize("command", ["runserver", "worker"])
def test_an_unreachable_database_gives_one_line_within_seconds(tmp_path, command):
    # nothing listens on a free port once its probe socket is closed
    env = env_for(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/agentserver_nowhere")
    args = ["runserver", "--noreload", str(free_port())] if command == "runserver" else ["worker"]
    started = time.monotonic()
    result = manage(env, *args, timeout=30)
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("CommandError")]
    assert len(errors) == 1 and "database unreachable (postgresql://postgres@127.0.0.1:" in errors[0]
    assert "Traceback" not in result.stderr


def test_a_database_without_migrations_answers_a_json_503_naming_migrate(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-p", str(port), "agentserver.asgi:application"],
                            cwd=ROOT, env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                ok = httpx.get(f"http://127.0.0.1:{port}/ok", timeout=5)
                break
            except httpx.HTTPError:
                assert time.time() < deadline and proc.poll() is None
                time.sleep(0.2)
        assert ok.status_code == 503 and ok.headers["content-type"] == "application/json"
        assert ok.json()["ok"] is False and "python manage.py migrate" in ok.json()["detail"]
        api = httpx.post(f"http://127.0.0.1:{port}/assistants/search", json={}, timeout=5)
        assert api.status_code == 503 and "python manage.py migrate" in api.json()["detail"]
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    # one line in the log per reason, not a traceback per request
    assert output.count("cannot start serving: The database is not migrated") == 1
    assert "Traceback" not in output


def test_missing_tables_are_told_apart_from_an_outage():
    from django.db import OperationalError, ProgrammingError

    from agentserver.api.exceptions import unavailable_detail

    assert "manage.py migrate" in unavailable_detail(OperationalError("no such table: runs_run"))
    assert "manage.py migrate" in unavailable_detail(ProgrammingError('relation "runs_run" does not exist'))
    assert unavailable_detail(OperationalError("connection refused")).startswith("Database unavailable")


def test_with_redis_down_the_api_keeps_working_as_the_readme_says(tmp_path):
    """README, scaled mode: /ok answers 500 naming redis; runs are created, executed and streamed."""
    env = env_for(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert manage(env, "migrate", "-v", "0").returncode == 0
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-p", str(port), "agentserver.asgi:application"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                ok = httpx.get(f"{base}/ok", timeout=5)
                break
            except httpx.HTTPError:
                assert time.time() < deadline and proc.poll() is None
                time.sleep(0.2)
        assert ok.status_code == 500 and ok.json()["services"]["redis"]["ok"] is False
        assert "redis" in ok.json()["detail"]
        thread = httpx.post(f"{base}/threads", json={}, timeout=10).json()["thread_id"]
        body = {"assistant_id": "echo", "input": {"messages": [{"type": "human", "content": "hi"}]}}
        waited = httpx.post(f"{base}/threads/{thread}/runs/wait", json=body, timeout=30)
        assert waited.status_code == 200 and waited.json()["messages"][-1]["content"] == "echo: hi"
        streamed = httpx.post(f"{base}/threads/{thread}/runs/stream", json=body, timeout=30)
        assert streamed.status_code == 200 and "event: values" in streamed.text
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("server", ["runserver", "uvicorn"])
def test_static_files_are_served_with_debug_off(tmp_path, server):
    """WhiteNoise serves the admin's CSS under runserver and uvicorn too (daphne: test_console.py)."""
    env = env_for(tmp_path, DEBUG="0")
    assert manage(env, "migrate", "-v", "0").returncode == 0
    port = free_port()
    command = ([sys.executable, "manage.py", "runserver", "--noreload", str(port)] if server == "runserver" else
               [sys.executable, "-m", "uvicorn", "agentserver.asgi:application", "--port", str(port)])
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=5)
                break
            except httpx.HTTPError:
                assert time.time() < deadline and proc.poll() is None, f"{server} did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    finally:
        proc.terminate()
        proc.wait(10)
