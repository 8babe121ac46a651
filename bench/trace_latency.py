#!/usr/bin/env python
"""Where does the time to first event go? A timeline of one streamed ``noop`` run inside agentserver.

    python bench/trace_latency.py [--runs 30] [--graph noop]

Starts daphne on ``bench.trace_latency:application``: agentserver's own ASGI app, with timing wrappers
put around the steps of a run (no agentserver file is changed): every ``agentserver.db.db`` call (time
queued for a pool thread, time running, time until the caller's loop resumes), the executor's claim,
the checkpointer's calls, the event writer and the consumer's writes. Then it streams ``--runs``
sequential runs and prints, per step, the median offset from the client's POST (perf_counter is the
same monotonic clock in both processes) and the median duration.
"""
import functools
import os
import sys
import threading
import time

TRACE_FILE = os.environ.get("BENCH_TRACE_FILE")
NOW = time.perf_counter

if TRACE_FILE and __name__ != "__main__":
    # ---------------- inside the server process: patch, then build the app ----------------
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentserver.settings")
    _lock = threading.Lock()
    _fh = open(TRACE_FILE, "a", buffering=1)

    def _log(label, *times):
        with _lock:
            _fh.write(label + " " + " ".join(f"{t:.6f}" for t in times) + " " + threading.current_thread().name + "\n")

    import functools

    import agentserver.db as _dbmod

    _original_guarded = _dbmod._guarded

    def traced_db(fn):
        name = getattr(fn, "__name__", "fn")
        guarded = _original_guarded(fn)

        def run(t_submit, *args, **kwargs):
            t_start = NOW()
            try:
                return guarded(*args, **kwargs)
            finally:
                _log(f"db.{name}", t_submit, t_start, NOW())

        async def call(*args, **kwargs):
            t_submit = NOW()
            try:
                return await _dbmod._db_threads().run(functools.partial(run, t_submit, *args, **kwargs))
            finally:
                _log(f"db.{name}.resumed", t_submit, NOW())

        return call

    _dbmod.db = traced_db

    import django

    django.setup()

    def wrap_async(owner, attr, label):
        fn = getattr(owner, attr, None)
        if fn is None:  # the code moved on: trace what is there
            return

        @functools.wraps(fn)
        async def inner(*args, **kwargs):
            t0 = NOW()
            try:
                return await fn(*args, **kwargs)
            finally:
                _log(label, t0, NOW())

        setattr(owner, attr, inner)

    def wrap_sync(owner, attr, label):
        fn = getattr(owner, attr, None)
        if fn is None:
            return

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            t0 = NOW()
            try:
                return fn(*args, **kwargs)
            finally:
                _log(label, t0, NOW())

        setattr(owner, attr, inner)

    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from agentserver.api.consumers import StreamConsumer
    from agentserver.asgi import application as _app  # noqa: E402  (imports every module with db patched)
    from runs import execution, executor, services
    from streaming import notify
    from streaming.writer import EventWriter

    wrap_sync(services, "create_run", "create_run")
    wrap_async(execution, "execute", "execute")
    wrap_async(execution, "latest_checkpoint_id", "latest_checkpoint")
    wrap_async(execution, "latest_checkpoint", "latest_checkpoint")
    wrap_async(execution, "stream_graph", "stream_graph")
    wrap_async(execution, "final_state", "final_state")
    wrap_async(notify, "aevents_stored", "notify.aevents_stored")
    wrap_async(notify, "arun_finished", "notify.arun_finished")
    for saver in (AsyncSqliteSaver, AsyncPostgresSaver):
        for method in ("aget_tuple", "aput", "aput_writes"):
            wrap_async(saver, method, f"checkpointer.{method}")
    _wake = executor.Executor.wake

    def wake(self, *args, **kwargs):  # wake(created=...) hands a run over: keep the signature open
        _log("executor.wake", NOW())
        return _wake(self, *args, **kwargs)

    executor.Executor.wake = wake
    _emit = EventWriter.emit

    def emit(self, event, data):
        _log(f"writer.emit.{event}", NOW())
        return _emit(self, event, data)

    EventWriter.emit = emit
    _call, _start, _write, _end = StreamConsumer.__call__, StreamConsumer.start, StreamConsumer.write, StreamConsumer.end

    async def call(self, scope, receive, send):
        _log(f"consumer.call {scope['method']}:{scope['path'].split('/')[-1]}", NOW())
        return await _call(self, scope, receive, send)

    async def start(self, **kwargs):
        t0 = NOW()
        await _start(self, **kwargs)
        _log("consumer.headers_sent", t0, NOW())

    async def write(self, chunk):
        t0 = NOW()
        await _write(self, chunk)
        _log("consumer.write " + chunk.split(b"\r\n", 1)[0].decode(errors="replace")[:30].replace(" ", "_"), t0, NOW())

    async def end(self, chunk=b""):
        t0 = NOW()
        await _end(self, chunk)
        _log("consumer.end", t0, NOW())

    StreamConsumer.__call__, StreamConsumer.start, StreamConsumer.write, StreamConsumer.end = call, start, write, end

    async def application(scope, receive, send):
        if scope["type"] == "http":
            _log(f"asgi.request {scope['method']}:{scope['path'].split('/')[-1]}", NOW())
        return await _app(scope, receive, send)


def _driver():
    import argparse
    import asyncio
    import shutil
    import statistics
    from collections import defaultdict
    from pathlib import Path

    import aiohttp

    bench = Path(__file__).resolve().parent
    sys.path.insert(0, str(bench))
    import checks  # noqa: E402

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--gap", type=float, default=0.15, help="seconds between runs (so their traces do not overlap)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (trace file, server log)")
    p.add_argument("--database-url", help="e.g. postgres://postgres@127.0.0.1:5432/<db> (default: SQLite in a temp dir)")
    p.add_argument("--redis-url", help="e.g. redis://127.0.0.1:6379/0 (default: in-process channel layer)")
    args = p.parse_args()

    from harness import InstrumentedServer

    server = InstrumentedServer("bench.trace_latency:application", "bench-trace-", database_url=args.database_url,
                                redis_url=args.redis_url, migrate_without=("BENCH_TRACE_FILE",), BENCH_TRACE_FILE="")
    tmp = server.tmp
    trace = tmp / "trace.txt"
    server.env["BENCH_TRACE_FILE"] = str(trace)
    url = server.url
    try:
        server.start()

        async def drive():
            starts = []
            async with aiohttp.ClientSession(url) as session:
                for i in range(args.runs + 3):
                    thread_id = await checks.create_thread(session)
                    await asyncio.sleep(args.gap)
                    t = await checks.stream_run(session, thread_id, checks.NOOP_BODY, checks.NoopCheck())
                    if i >= 3:  # warm-up
                        starts.append((t["t0"], t))
                    await asyncio.sleep(args.gap)
            return starts

        starts = asyncio.run(drive())
    finally:
        server.stop()
    lines = [line.split() for line in trace.read_text().splitlines()]
    offsets, durations, hops = defaultdict(list), defaultdict(list), defaultdict(list)
    for index, (t0, timing) in enumerate(starts):
        t_next = starts[index + 1][0] if index + 1 < len(starts) else float("inf")
        seen = set()
        for parts in lines:
            label, times = parts[0], [float(x) for x in parts[1:] if _is_float(x)]
            if len(parts) > 1 and not _is_float(parts[1]):
                label, times = f"{parts[0]} {parts[1]}", [float(x) for x in parts[2:] if _is_float(x)]
            if not times or not (t0 <= times[0] < t_next - args.gap):
                continue
            key = label
            n = 1
            while key in seen:
                n += 1
                key = f"{label} #{n}"
            seen.add(key)
            offsets[key].append((times[0] - t0) * 1000)
            if label.startswith("db.") and not label.endswith(".resumed") and len(times) >= 3:
                hops[key].append((times[1] - times[0]) * 1000)
                durations[key].append((times[2] - times[1]) * 1000)
            elif len(times) >= 2:
                durations[key].append((times[-1] - times[0]) * 1000)
        offsets["CLIENT headers"].append(timing["headers"] * 1000)
        offsets["CLIENT first event"].append(timing["first_event"] * 1000)
        offsets["CLIENT first data event"].append(timing["first_data"] * 1000)
        offsets["CLIENT end of stream"].append(timing["end"] * 1000)
    print(f"{len(starts)} runs; medians in ms, offsets from the client's POST "
          f"(db.*: 'queued' = waiting for a pool thread, 'took' = running in it)\n")
    print(f"{'step':<48} {'starts at':>9} {'took':>8} {'queued':>7}  n")
    rows = sorted(offsets.items(), key=lambda kv: statistics.median(kv[1]))
    for key, values in rows:
        if len(values) < len(starts) // 2:
            continue
        took = f"{statistics.median(durations[key]):8.2f}" if durations.get(key) else " " * 8
        queued = f"{statistics.median(hops[key]):7.2f}" if hops.get(key) else " " * 7
        print(f"{key[:48]:<48} {statistics.median(values):9.2f} {took} {queued}  {len(values)}")
    if args.keep:
        print(f"\ntrace kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def _is_float(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


if __name__ == "__main__":
    _driver()
