#!/usr/bin/env python
"""Start each server, run the load generator against it, write the results side by side.

    python bench/run_all.py                 # full sizes, every variant (takes ~15-25 minutes)
    python bench/run_all.py --quick         # small sizes (a smoke run, ~3-5 minutes)
    python bench/run_all.py --variants daphne,reference --scenario 1,3 -- --s1-runs 20

Variants (each on 127.0.0.1 and a free port, state in a fresh temp dir, stopped afterwards):
  daphne     agentserver, embedded default (SQLite + in-process layer/executor), `python -m daphne`
  uvicorn    the same under `python -m uvicorn agentserver.asgi:application`
  pg         agentserver under daphne with DATABASE_URL=postgres://postgres@127.0.0.1:5432/<fresh db>
             and REDIS_URL=redis://127.0.0.1:6379/0 (the database is dropped afterwards)
  pg-SxW     scale-out on PostgreSQL + Redis: S daphne processes without an executor
             (AGENTSERVER_EXECUTOR=worker) and W `manage.py worker` processes, e.g. pg-1x1, pg-2x2;
             load.py spreads scenario 2's clients over the S servers, CPU is summed over all processes
  reference  `langgraph dev` (the reference server) from the venv --ref-venv (default /tmp/refbench;
             created with `python -m venv /tmp/refbench && /tmp/refbench/bin/pip install "langgraph-cli[inmem]"`),
             in a temp copy of bench/, with --n-jobs-per-worker 10
  ...-1cpu   any of these kept to one CPU, the last this process may use: agentserver with
             AGENTSERVER_CPU_AFFINITY=<cpu> (e.g. pg-1cpu), the reference under `taskset -c <cpu>`
  ...-os     agentserver with AGENTSERVER_CPU_AFFINITY=off: its threads on every CPU, as the OS runs them
             (the embedded default keeps to one CPU by itself; PostgreSQL + Redis does not)
  ...-spread agentserver with AGENTSERVER_CPU_AFFINITY=spread: each process on the CPU the fewest
             others keep to (e.g. pg-spread, pg-2x2-spread)

Writes <out>/baseline.json, <out>/<variant>.json, <out>/summary.md (ratios against the reference and the
targets) and the servers' logs. Arguments after ``--`` go to load.py. ``--profile`` also records each
agentserver scenario with py-spy (collapsed stacks in <out>/profile/<variant>-s<N>.txt).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ok(url, proc, log, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{Path(log).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ok", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer /ok:\n{Path(log).read_text()[-3000:]}")


class Server:
    def __init__(self, name, out):
        self.name = name
        self.out = out
        self.proc = None
        self.procs = []
        self.url = None
        self.pid = None
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.log = out / "logs" / f"{name}.server.log"
        self.cleanup = []

    @property
    def kind(self):
        """The variant without its affinity suffix (-1cpu, -os, -spread)."""
        return re.sub(r"-(1cpu|os|spread)$", "", self.name)

    @property
    def one_cpu(self):
        return str(max(os.sched_getaffinity(0))) if self.name.endswith("-1cpu") else None

    def start(self):
        getattr(self, f"_start_{'reference' if self.kind == 'reference' else 'agentserver'}")()
        return self

    def _start_agentserver(self):
        env = dict(os.environ)
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"):
            env.pop(key, None)
        env["AGENTSERVER_DATA_DIR"] = str(self.tmp)
        env["LANGGRAPH_CONFIG"] = str(BENCH / "langgraph.json")
        env["DATABASE_URL"] = f"sqlite:///{self.tmp}/agentserver.sqlite3"
        suffix = self.name.rpartition("-")[2]
        if self.one_cpu or suffix in ("os", "spread"):
            env["AGENTSERVER_CPU_AFFINITY"] = self.one_cpu or {"os": "off"}.get(suffix, suffix)
        if self.name.startswith("pg"):
            import psycopg

            dbname = f"agentserver_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')

            def drop():
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

            self.cleanup.append(drop)
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
            env["REDIS_URL"] = REDIS
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True, timeout=300)
        scaled = re.fullmatch(r"pg-(\d+)x(\d+)", self.kind)
        servers, workers = (int(scaled.group(1)), int(scaled.group(2))) if scaled else (1, 0)
        if workers:
            env["AGENTSERVER_EXECUTOR"] = "worker"
        urls = []
        for _ in range(servers):
            port = free_port()
            if self.kind == "uvicorn":
                cmd = [sys.executable, "-m", "uvicorn", "agentserver.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
            else:
                # a listen backlog like uvicorn's and the reference's (Twisted's default of 50 makes a burst
                # of connections wait a SYN retry: scenario 7), as `manage.py runserver` sets it
                cmd = [sys.executable, "-m", "daphne", "-e", f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
                       "agentserver.asgi:application"]
            self.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for index in range(workers):
            self.procs.append(subprocess.Popen([sys.executable, "manage.py", "worker", "--worker-id", f"bench-w{index}"],
                                               cwd=ROOT, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT))
        self.proc = self.procs[0]
        self.url = ",".join(urls)
        self.pid = ",".join(str(proc.pid) for proc in self.procs)
        for url, proc in zip(urls, self.procs):
            wait_ok(url, proc, self.log)
        if workers:
            time.sleep(2)  # the workers' executors subscribe to the wake-ups

    def _start_reference(self):
        venv = Path(ARGS.ref_venv)
        cli = venv / "bin" / "langgraph"
        if not cli.exists():
            raise RuntimeError(f"{cli} not found: python -m venv {venv} && {venv}/bin/pip install 'langgraph-cli[inmem]'")
        for name in ("graphs.py", "langgraph.json"):
            shutil.copy(BENCH / name, self.tmp / name)
        env = dict(os.environ, LANGGRAPH_CLI_NO_ANALYTICS="1", LANGSMITH_TRACING="false")
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"):
            env.pop(key, None)
        pin = ["taskset", "-c", self.one_cpu] if self.one_cpu else []
        cmd = pin + [str(cli), "dev", "--no-browser", "--no-reload", "--allow-blocking", "--host", "127.0.0.1",
               "--port", str(ARGS.ref_port), "--n-jobs-per-worker", "10"]
        self.proc = subprocess.Popen(cmd, cwd=self.tmp, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.time() + 120
        while self.url is None and time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited:\n{self.log.read_text()[-3000:]}")
            text = re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(errors="replace"))
            found = re.search(r"API: (http://127\.0\.0\.1:\d+)", text)  # it picks another port if busy
            if found:
                self.url = found.group(1)
            time.sleep(0.3)
        if self.url is None:
            raise RuntimeError("langgraph dev printed no API address")
        wait_ok(self.url, self.proc, self.log)

    def stop(self):
        for proc in self.procs or [self.proc]:
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs or [self.proc]:
            if proc is None:
                continue
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for fn in self.cleanup:
            try:
                fn()
            except Exception as exc:  # noqa: BLE001
                print(f"cleanup failed: {exc!r}", file=sys.stderr)
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_load(server, out, scenarios, extra):
    # Scenario 5 measures RSS growth: run it first, on the fresh process (after other scenarios the heap
    # has grown and freed memory is reused, so the growth per stream would read as ~0).
    order = scenarios.split(",")
    if "5" in order:
        order = ["5"] + [n for n in order if n != "5"]
    scenarios = ",".join(order)
    base = [sys.executable, str(BENCH / "load.py"), "--url", server.url, "--label", server.name,
            "--server-pid", str(server.pid)] + (["--quick"] if ARGS.quick else []) + extra
    if not ARGS.profile or server.name.startswith("reference"):
        target = out / f"{server.name}.json"
        subprocess.run(base + ["--scenario", scenarios, "--json", str(target)], timeout=ARGS.timeout)
        return json.loads(target.read_text())
    merged = None
    (out / "profile").mkdir(exist_ok=True)
    for number in scenarios.split(","):
        target = out / f"{server.name}-s{number}.json"
        spy = subprocess.Popen(["py-spy", "record", "--pid", str(server.pid), "--rate", "250", "--gil", "--nonblocking", "--format", "raw",
                                "--threads", "-o", str(out / "profile" / f"{server.name}-s{number}.txt")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        try:
            subprocess.run(base + ["--scenario", number, "--json", str(target)], timeout=ARGS.timeout)
        finally:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
        part = json.loads(target.read_text())
        if merged is None:
            merged = part
        else:
            merged["scenarios"].update(part["scenarios"])
    (out / f"{server.name}.json").write_text(json.dumps(merged, indent=2))
    return merged


# --- summary ---------------------------------------------------------------------------------
def _get(data, *path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


METRICS = [
    # (label, path into load.py's scenarios, higher is better)
    ("1 first event p50 (ms)", ("1", "first_event_ms", "p50"), False),
    ("1 first event p90 (ms)", ("1", "first_event_ms", "p90"), False),
    ("1 first event p99 (ms)", ("1", "first_event_ms", "p99"), False),
    ("1 end of stream p50 (ms)", ("1", "end_ms", "p50"), False),
    ("2 runs/s, 32 clients", ("2", "runs_per_s"), True),
    ("2 run end p50 (ms)", ("2", "end_ms", "p50"), False),
    ("2 server CPU per run (ms)", ("2", "cpu_ms_per_run"), False),
    ("3 events/s, one emit stream", ("3", "events_per_s"), True),
    ("4 fan-out: clients complete", ("4", "complete_clients"), True),
    ("4 fan-out: delivered events/s", ("4", "delivered_events_per_s"), True),
    ("4 fan-out: last client done (ms)", ("4", "client_done_ms", "max"), False),
    ("5 RSS per idle stream (KB)", ("5", "rss_per_stream_kb"), False),
    ("5 server CPU, idle streams open (%)", ("5", "idle_cpu_pct_open"), False),
    ("5 server CPU, no streams (%)", ("5", "idle_cpu_pct_before"), False),
    ("5 new run first event p50 (ms)", ("5", "new_run_first_event_ms", "p50"), False),
    ("6 tokens/s (messages-tuple)", ("6", "tokens_per_s"), True),
    ("6 tokens/s end to end", ("6", "tokens_per_s_end_to_end"), True),
    ("7 join, 100 clients: all connected (ms)", ("7", "all_connected_ms"), False),
    ("7 join: connected p50 (ms)", ("7", "connected_ms", "p50"), False),
]


def git_tree():
    """HEAD and the number of modified tracked files: what a server started now imports."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = len(subprocess.run(["git", "status", "--short", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                                   text=True).stdout.splitlines())
    except OSError:
        return "?"
    return head + (f"+{dirty}M" if dirty else "")


def _targets(results, baseline):
    """The issue's targets, each with the figures it compares and met/MISSED."""
    def sc(name):
        return (results.get(name) or {}).get("scenarios", {})

    def verdict(ok):
        return "met" if ok else "MISSED"

    d, ref = sc("daphne"), sc("reference")
    out = []
    v = _get(d, "1", "first_event_ms", "p50")
    if v is not None:
        out.append(f"- time to first event p50 < 10 ms: {v} ms -> {verdict(v < 10)}")
    rv = _get(ref, "2", "runs_per_s")
    for name, factor in (("daphne", 2), ("pg", 1)):
        v = _get(sc(name), "2", "runs_per_s")
        if v is not None and rv:
            out.append(f"- runs/s, {name} >= {factor}x reference: {v} vs {rv} = {v / rv:.2f}x -> {verdict(v >= factor * rv)}")
    v = _get(d, "2", "cpu_ms_per_run")
    if v is not None:
        out.append(f"- server CPU per run <= 5 ms (embedded): {v} ms -> {verdict(v <= 5)}")
    for n, key, label, share in (("3", "events_per_s", "events/s of one stream", 0.5),
                                 ("6", "tokens_per_s", "tokens/s of one stream", 0.8)):
        v = _get(d, n, key)
        base = _get(baseline or {}, "sqlite", "emit" if n == "3" else "tokens", key)
        if v is not None and base:
            out.append(f"- {label} >= {share:.0%} of in-process (AsyncSqliteSaver): {v} vs {base} = "
                       f"{100 * v / base:.0f}% -> {verdict(v >= share * base)}")
    v = _get(d, "7", "all_connected_ms")
    if v is not None:
        out.append(f"- 100 clients joining one run all connected < 100 ms: {v} ms "
                   f"(reference {_get(ref, '7', 'all_connected_ms')} ms) -> {verdict(v < 100)}")
    v = _get(d, "5", "rss_per_stream_kb")
    if v is not None:
        out.append(f"- idle stream < 20 KB each: {v} KB -> {verdict(v < 20)}")
    one, two = _get(sc("pg-1x1"), "2", "runs_per_s"), _get(sc("pg-2x2"), "2", "runs_per_s")
    if one and two:
        out.append(f"- scale-out: pg-2x2 > pg-1x1 runs/s: {two} vs {one} -> {verdict(two > one)}")
    return out


def summary(results, baseline, args):
    for data in results.values():  # derived: server CPU per run in scenario 2
        s2 = data["scenarios"].get("2") or {}
        if s2.get("runs") and s2.get("server_cpu_s") is not None:
            s2["cpu_ms_per_run"] = round(1000 * s2["server_cpu_s"] / s2["runs"], 1)
    names = list(results)
    ref = results.get("reference")
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = len(subprocess.run(["git", "status", "--short", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                                   text=True).stdout.splitlines())
    except OSError:
        head, dirty = "?", 0
    where = f"agentserver at {head}{f' + {dirty} modified files' if dirty else ''}"
    if getattr(args, "summarize", None):
        where = f"merged from {args.summarize}"
    lines = [f"# Benchmark results ({time.strftime('%Y-%m-%d %H:%M')}, {'quick' if args.quick else 'full'} sizes, "
             f"{where}, {os.cpu_count()} CPUs)", ""]
    if baseline:
        b = baseline.get("none", {})
        s = baseline.get("sqlite", {})
        lines += [
            "In-process baseline (`graph.astream`, no server): "
            f"noop first event p50 {_get(b, 'noop', 'first_event_ms', 'p50')} ms "
            f"(with AsyncSqliteSaver {_get(s, 'noop', 'first_event_ms', 'p50')} ms), "
            f"emit {_get(b, 'emit', 'events_per_s')} events/s, tokens {_get(b, 'tokens', 'tokens_per_s')}/s.", ""]
    header = "| metric | " + " | ".join(names) + (" | " + " | ".join(f"{n} / ref" for n in names if n != "reference") if ref else "") + " |"
    trees = {n: results[n].get("agentserver_git") for n in names if results[n].get("agentserver_git")}
    if trees:
        lines += ["agentserver tree per variant (at its start): " + ", ".join(f"{n} {t}" for n, t in trees.items()), ""]
    lines += [header, "|" + "---|" * (header.count("|") - 1)]
    for label, path, higher in METRICS:
        row = [label]
        values = {n: _get(results[n]["scenarios"], *path) for n in names}
        row += ["-" if values[n] is None else str(values[n]) for n in names]
        if ref:
            rv = values.get("reference")
            for n in names:
                if n == "reference":
                    continue
                v = values[n]
                if v is None or not rv:
                    row.append("-")
                else:
                    better = v / rv if higher else (rv / v if v else float("inf"))
                    row.append(f"{better:.2f}x better" if better >= 1 else f"{1 / better:.2f}x worse")
        lines.append("| " + " | ".join(row) + " |")
    errors = [(n, k, r.get("errors")) for n in names for k, r in results[n]["scenarios"].items() if not r.get("ok")]
    lines += ["", "Ratios: agentserver against the reference measured in the same run (higher is better for rates, "
                  "lower for times, memory and CPU).", "",
              "Errors: " + ("none (every counted event was checked)" if not errors else "")]
    for n, k, errs in errors:
        lines.append(f"- {n} scenario {k}: {errs[:3]}")
    lines += ["", "## Targets (issue #14; embedded default = daphne)" + (" -- quick sizes: indicative only" if args.quick else ""), ""]
    checks = _targets(results, baseline)
    lines += checks or ["- (no daphne results)"]
    return "\n".join(lines) + "\n"


def main():
    global ARGS
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--variants", default="daphne,uvicorn,pg,reference")
    p.add_argument("--scenario", default="1,2,3,4,5,6")
    p.add_argument("--out", default=str(BENCH / "results" / "latest"))
    p.add_argument("--ref-venv", default="/tmp/refbench")
    p.add_argument("--ref-port", type=int, default=12024)
    p.add_argument("--timeout", type=float, default=1800, help="seconds for one load.py run")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--profile", action="store_true", help="py-spy each agentserver scenario")
    p.add_argument("--summarize", metavar="DIR[,DIR...]",
                   help="run nothing: merge the results already in these dirs (later ones override per "
                        "scenario) and write <out>/summary.md")
    ARGS = p.parse_args(argv)
    out = Path(ARGS.out)
    out.mkdir(parents=True, exist_ok=True)
    if ARGS.summarize:
        merged, baseline = {}, None
        for folder in ARGS.summarize.split(","):
            for path in sorted(Path(folder).glob("*.json")):
                data = json.loads(path.read_text())
                if path.name == "baseline.json":
                    baseline = data
                elif "scenarios" in data and not re.search(r"-s\d+$", path.stem):
                    entry = merged.setdefault(path.stem, {"scenarios": {}})
                    entry["scenarios"].update(data["scenarios"])
                    if data.get("agentserver_git"):
                        entry["agentserver_git"] = data["agentserver_git"]
        order = sorted(merged, key=lambda n: (n == "reference", n))
        text = summary({n: merged[n] for n in order}, baseline, ARGS)
        (out / "summary.md").write_text(text)
        print(text)
        return
    baseline = None
    if not ARGS.no_baseline:
        cmd = [sys.executable, str(BENCH / "baseline.py"), "--json", str(out / "baseline.json")]
        subprocess.run(cmd + (["--quick"] if ARGS.quick else []), check=True, timeout=900)
        baseline = json.loads((out / "baseline.json").read_text())
    results = {}
    for name in [v.strip() for v in ARGS.variants.split(",") if v.strip()]:
        server = Server(name, out)
        try:
            print(f"--- {name}: starting", file=sys.stderr, flush=True)
            server.start()
            print(f"--- {name}: {server.url} pid {server.pid}", file=sys.stderr, flush=True)
            tree = git_tree() if not name.startswith("reference") else None  # the code this server process imported
            results[name] = run_load(server, out, ARGS.scenario, extra)
            if tree:
                results[name]["agentserver_git"] = tree
                (out / f"{name}.json").write_text(json.dumps(results[name], indent=2))
        except Exception as exc:  # noqa: BLE001 - one variant failing must not lose the others
            print(f"--- {name}: FAILED {exc!r}", file=sys.stderr, flush=True)
        finally:
            server.stop()
    text = summary(results, baseline, ARGS)
    (out / "summary.md").write_text(text)
    print(text)


ARGS = None

if __name__ == "__main__":
    main()
