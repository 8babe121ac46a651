"""Fixtures: a live agentserver (daphne, in a subprocess, on a free port) and SDK/HTTP clients.

With ``DATABASE_URL`` set to PostgreSQL (CI does this), the live server gets its own database
``<name>_live``; ``REDIS_URL`` is passed through so the scaled mode is exercised too.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
GRAPHS_CONFIG = ROOT / "tests" / "graphs" / "langgraph.json"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_live_url(url, suffix="_live"):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + suffix
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


def server_env(data_dir, *, db_suffix=None, **extra):
    """The environment of a live server on its own database: ``<name><db_suffix>`` on PostgreSQL
    (re-created; by default a name of its own, so that no server drops another's database), a file
    in ``data_dir`` on SQLite."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["AGENTSERVER_DATA_DIR"] = str(data_dir)
    env["LANGGRAPH_CONFIG"] = str(GRAPHS_CONFIG)
    database_url = os.environ.get("DATABASE_URL", "")
    if "DATABASE_URL" in extra:
        pass  # the caller's own database (never re-create the shared live server's)
    elif database_url.startswith("postgres"):
        env["DATABASE_URL"] = _postgres_live_url(database_url, db_suffix or f"_live_{uuid.uuid4().hex[:8]}")
    else:
        env["DATABASE_URL"] = f"sqlite:///{data_dir}/live.sqlite3"
    env.update(extra)
    return env


class LiveServer:
    def __init__(self, env, port, log_path):
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.proc = None

    def start(self, timeout=60, *, migrate=True):
        if migrate:
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=ROOT, env=self.env, check=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "agentserver.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {Path(self.log_path).read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ok", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {Path(self.log_path).read_text()[-3000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_dropping_the_test_database(django_db_setup, django_db_blocker):
    """In-process tests open the checkpointer and Django's connection pool on the test database;
    close both before pytest-django drops it (this fixture is torn down before django_db_setup)."""
    yield
    from django.db import connections

    from agentserver import persistence

    persistence.close()
    with django_db_blocker.unblock():
        connection = connections["default"]
        if connection.vendor == "postgresql":
            # a pool thread of a test that just ended may still hold a session: end them all
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        for connection in connections.all():
            connection.close()
            if hasattr(connection, "close_pool"):
                connection.close_pool()


@pytest.fixture(scope="session")
def agent_server():
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-live-"))
    server = LiveServer(server_env(data_dir, db_suffix="_live"), free_port(), data_dir / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(agent_server):
    return agent_server.url


@pytest.fixture
def sdk(base_url):
    from langgraph_sdk import get_client

    return get_client(url=base_url, api_key=None)


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def ahttp(base_url):
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def api(db):
    """DRF's test client against the in-process app (same settings, test database)."""
    from rest_framework.test import APIClient

    from assistants.services import sync_system_assistants

    sync_system_assistants()
    return APIClient()


@pytest.fixture
def live_executor(transactional_db):
    """An in-process executor on the runtime loop, with the system assistants, for this test only:
    runs still active at the end are cancelled and the executor is stopped, so no executor outlives
    its test (a leftover one would execute the next test's pending runs)."""
    from agentserver import persistence, runtime
    from assistants.services import sync_system_assistants
    from runs.executor import start_executor, stop_executor
    from runs.models import Run
    from tests.factories import wait_for

    persistence.setup()
    sync_system_assistants()
    runtime.call(start_executor())
    yield
    active = list(Run.objects.active().values_list("run_id", flat=True))
    if active:
        from runs.services import cancel_runs

        cancel_runs(run_ids=active, action="interrupt")
        wait_for(lambda: not Run.objects.active().exists(), what="active runs to stop")
    runtime.call(stop_executor(grace=0), timeout=30)
