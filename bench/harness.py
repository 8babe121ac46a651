"""Start agentserver under daphne with an instrumented ASGI module (trace_latency, mem_streams,
statements): a fresh data dir, the bench graphs, the database migrated, a free port."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class InstrumentedServer:
    """``InstrumentedServer("bench.statements:application", prefix, FILE_VAR="...")``: ``env`` extra
    variables (``database_url``/``redis_url``: the scaled mode; default SQLite in ``tmp``)."""

    def __init__(self, app, prefix, *, database_url=None, redis_url=None, migrate_without=(), **extra):
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        env = dict(os.environ, AGENTSERVER_DATA_DIR=str(self.tmp), LANGGRAPH_CONFIG=str(BENCH / "langgraph.json"),
                   DATABASE_URL=database_url or f"sqlite:///{self.tmp}/agentserver.sqlite3",
                   PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", **extra)
        for key in ("DJANGO_SETTINGS_MODULE", "REDIS_URL"):
            env.pop(key, None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.env, self.app = env, app
        migrate_env = {k: v for k, v in env.items() if k not in migrate_without}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=migrate_env,
                       check=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout=60):
        log = open(self.tmp / "server.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                                      self.app], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/ok", timeout=2)
                return self
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError((self.tmp / "server.log").read_text()[-2000:]) from None
                time.sleep(0.2)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
