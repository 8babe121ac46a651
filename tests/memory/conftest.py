"""A live server of its own for the memory/schedules/retention tests: its langgraph.json configures
the store (local embedding, TTL), the checkpointer TTL and the webhook policy; its settings make the
scheduler and sweepers tick fast. On PostgreSQL it uses ``<name>_memory`` (not the main ``_live``)."""
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.conftest import LiveServer, _postgres_live_url, free_port

HERE = Path(__file__).resolve().parent


def _postgres_url(url, suffix):
    return _postgres_live_url(url, suffix)


def has_pgvector():
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return False

    # the server's own maintenance database: the test database may not exist yet
    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is not None


def semantic_search_available():
    return not os.environ.get("DATABASE_URL", "").startswith("postgres") or has_pgvector()


def memory_env(data_dir, *, suffix="_memory", **extra):
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "tests.memory.settings"
    env["AGENTSERVER_DATA_DIR"] = str(data_dir)
    env["LANGGRAPH_CONFIG"] = str(HERE / "langgraph.json")
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        env["DATABASE_URL"] = _postgres_url(database_url, suffix)
        if not has_pgvector():  # store.index would (rightly) stop the server: see test_store_index.py
            env["LANGGRAPH_CONFIG"] = str(HERE / "langgraph.noindex.json")
    else:
        env["DATABASE_URL"] = f"sqlite:///{data_dir}/memory.sqlite3"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def memory_server():
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-memory-"))
    server = LiveServer(memory_env(data_dir), free_port(), data_dir / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def msdk(memory_server):
    from langgraph_sdk import get_client

    return get_client(url=memory_server.url, api_key=None)


@pytest.fixture
def mhttp(memory_server):
    import httpx

    with httpx.Client(base_url=memory_server.url, timeout=30) as client:
        yield client
