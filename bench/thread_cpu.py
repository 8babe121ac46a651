#!/usr/bin/env python
"""CPU per run by server thread: which threads of agentserver spend the CPU of scenario 2.

    python bench/thread_cpu.py [--seconds 10] [--clients 32] [--server daphne|uvicorn]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_threads --redis-url redis://127.0.0.1:6379/3]
        [--affinity auto|spread|off|0]

Starts agentserver (embedded default, bench/langgraph.json, a fresh temp dir), runs load.py's
scenario 2 against it, and reads utime+stime of every thread from /proc/<pid>/task before and
after: the CPU of each kind of thread (threads of a pool summed), in ms per verified run. With
``--database-url`` (PostgreSQL; the database is created, and dropped afterwards) the scaled mode is
measured instead (add ``--redis-url`` for its channel layer). Unlike a
py-spy profile this is the kernel's accounting: idle waits count nothing, spinning counts.

Run as the server's ASGI module (``bench.thread_cpu:application``), it names every Python thread
at the OS level (``pthread_setname_np``, from ``threading.Thread.name``), which /proc shows.
"""
import argparse
import contextlib
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from run_all import free_port, wait_ok  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _name_threads():
    libc = ctypes.CDLL(None)
    libc.pthread_self.restype = ctypes.c_ulong
    libc.pthread_setname_np.argtypes = [ctypes.c_ulong, ctypes.c_char_p]
    run = threading.Thread.run

    def named_run(self):
        kind = re.sub(r"[-_ ]?\(.*\)|[-_]?\d+", "", self.name).replace("agentserver-", "as-")
        libc.pthread_setname_np(libc.pthread_self(), kind[:15].encode())
        return run(self)

    threading.Thread.run = named_run


if os.environ.get("BENCH_THREAD_NAMES"):
    _name_threads()
    from agentserver.asgi import application  # noqa: E402,F401


def thread_times(pid):
    times = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = name
        times[kind] += (int(fields[11]) + int(fields[12])) / TICK
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--server", default="daphne", choices=("daphne", "uvicorn"))
    p.add_argument("--database-url", default="", help="a PostgreSQL database to create and drop (default: SQLite)")
    p.add_argument("--redis-url", default="")
    p.add_argument("--affinity", default="", help="AGENTSERVER_CPU_AFFINITY for the server (default: its own)")
    args = p.parse_args()
    with _database(args.database_url) as database_url:
        _measure(args, database_url)


@contextlib.contextmanager
def _database(url):
    if not url:
        yield ""
        return
    import psycopg
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(args, database_url):
    tmp = Path(tempfile.mkdtemp(prefix="bench-threads-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")}
    env.update(BENCH_THREAD_NAMES="1", PYTHONPATH=str(ROOT), AGENTSERVER_DATA_DIR=str(tmp), LANGGRAPH_CONFIG=str(BENCH / "langgraph.json"),
               DATABASE_URL=database_url or f"sqlite:///{tmp}/agentserver.sqlite3")
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if args.affinity:
        env["AGENTSERVER_CPU_AFFINITY"] = args.affinity
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    if args.server == "uvicorn":
        cmd = [sys.executable, "-m", "uvicorn", "bench.thread_cpu:application", "--host", "127.0.0.1", "--port", str(port)]
    else:
        cmd = [sys.executable, "-m", "daphne", "-e", f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
               "bench.thread_cpu:application"]
    log = tmp / "server.log"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ok(url, proc, log)
        out = tmp / "load.json"
        before = thread_times(proc.pid)
        subprocess.run([sys.executable, str(BENCH / "load.py"), "--url", url, "--server-pid", str(proc.pid),
                        "--scenario", "2", "--s2-clients", str(args.clients), "--s2-seconds", str(args.seconds),
                        "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
        after = thread_times(proc.pid)
        s2 = json.loads(out.read_text())["scenarios"]["2"]
        runs = s2.get("runs") or s2.get("verified_runs") or round(s2["runs_per_s"] * s2.get("elapsed_s", args.seconds))
        print(f"{args.server}: {s2['runs_per_s']:.1f} runs/s, {runs} runs")
        total = 0.0
        for kind, seconds in sorted(((k, after[k] - before.get(k, 0)) for k in after), key=lambda kv: -kv[1]):
            if seconds > 0:
                total += seconds
                print(f"  {1000 * seconds / runs:7.2f} ms/run  {kind}")
        print(f"  {1000 * total / runs:7.2f} ms/run  total")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
