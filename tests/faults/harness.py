"""The fault suite's processes: a live server, ``manage.py worker`` processes, a private
redis-server, each on this test's own database (SQLite file or PostgreSQL database), and the
database rows the faults are checked against."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, LiveServer, free_port, server_env


def on_postgres():
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def needs_postgres():
    """PostgreSQL only (its connections, ``pg_terminate_backend``): skipped on the SQLite pass."""
    return pytest.mark.skipif(not on_postgres(), reason="needs DATABASE_URL=postgres://…")


def require(binary):
    """The path of ``binary``; without it the test fails under ``CI=true`` and is skipped elsewhere."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is needed for this fault test"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class Redis:
    """This test's own redis-server (never the machine's shared one): it may be killed and restarted."""

    def __init__(self):
        self.binary = require("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Worker:
    """A ``manage.py worker`` process."""

    def __init__(self, env, name, log_path):
        self.env, self.name, self.log_path = env, name, log_path
        self.proc = None

    def start(self, *args, timeout=60):
        since = Path(self.log_path).stat().st_size if Path(self.log_path).exists() else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "manage.py", "worker", "--worker-id", self.name, *args],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # ready once it has said so (graphs loaded, executor on)
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log()}")
            if f"worker {self.name} ready" in self.log(since):  # this start's line, not an earlier one's
                return self
            time.sleep(0.05)
        raise RuntimeError(f"worker did not start: {self.log()}")

    def log(self, since=None):
        """The log's last 3000 characters, or all of it after byte ``since``."""
        with open(self.log_path, "rb") as log:
            if since is not None:
                log.seek(since)
            text = log.read().decode(errors="replace")
        return text if since is not None else text[-3000:]

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def sigterm(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Stack:
    """One server and its workers on one database: the embedded default (``workers=0``) or the
    scaled layout (server with ``AGENTSERVER_EXECUTOR=worker`` and ``manage.py worker``s)."""

    def __init__(self, name, *, workers=0, redis=None, **extra):
        self.dir = Path(tempfile.mkdtemp(prefix=f"agentserver-faults-{name}-"))
        extra = {"AGENTSERVER_LEASE_SECONDS": "2", "AGENTSERVER_MAX_ATTEMPTS": "5",
                 "AGENTSERVER_SHUTDOWN_GRACE_SECONDS": "0.3", **extra}
        if workers:
            extra["AGENTSERVER_EXECUTOR"] = "worker"
        if redis is not None:
            extra["REDIS_URL"] = redis.url
        else:
            extra["REDIS_URL"] = ""  # the in-process layer: workers and server meet through the database
        self.env = server_env(self.dir, db_suffix=f"_faults_{name}", **extra)
        self.server = LiveServer(self.env, free_port(), self.dir / "server.log")
        self.workers = [Worker(self.env, f"{name}-w{i + 1}", self.dir / f"w{i + 1}.log") for i in range(workers)]

    def start(self):
        """Start the server and the workers, then store ``reference``: an uninterrupted run's
        (final values, attempts), which every fault's outcome is compared with."""
        self.server.start()
        for worker in self.workers:
            worker.start()
        from tests.faults.invariants import reference_run

        with self.client() as client:
            self.reference = reference_run(client)
        return self

    def restart_server(self, **env):
        """A new server process on the same port and database (``env``: options changed from now on)."""
        self.env.update(env)
        self.server = LiveServer(self.env, self.server.port, self.server.log_path)
        return self.server.start(migrate=False)

    def client(self):
        return httpx.Client(base_url=self.server.url, timeout=30)

    def stop(self):
        self.server.stop()
        for worker in self.workers:
            worker.stop()

    def rows(self, sql, *args):
        """Rows of a query on this stack's database (``%s`` placeholders; uuids as text)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("postgres"):
            import psycopg

            with psycopg.connect(url) as conn:
                return conn.execute(sql, args).fetchall()
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            args = [a.replace("-", "") if isinstance(a, str) and len(a) == 36 else a for a in args]
            return conn.execute(sql.replace("%s", "?"), args).fetchall()

    def terminate_backends(self):
        """``pg_terminate_backend`` of every session of the server's and the workers' on this database."""
        import psycopg

        url = self.env["DATABASE_URL"]
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            return admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'", [name]).rowcount
