"""Extra live servers for the interop tests, each with its own database and langgraph.json."""
import os
import tempfile
from pathlib import Path

from tests.conftest import ROOT, LiveServer, _postgres_live_url, free_port

APPS = ROOT / "tests" / "interop_app"


def start_server(config, name, **extra_env):
    """Start a server on ``config`` (conftest's server_env would recreate the shared live database)."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"agentserver-{name}-"))
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(AGENTSERVER_DATA_DIR=str(data_dir), LANGGRAPH_CONFIG=str(config), **extra_env)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        env["DATABASE_URL"] = _postgres_live_url(f"{database_url}_{name}")
    else:
        env["DATABASE_URL"] = f"sqlite:///{data_dir}/live.sqlite3"
    server = LiveServer(env, free_port(), data_dir / "server.log")
    try:
        return server.start()
    except Exception:
        server.stop()  # a server that started but never answered /ok with 200
        raise
