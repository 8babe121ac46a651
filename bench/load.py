#!/usr/bin/env python
"""One asyncio load generator for any LangGraph Agent Server: agentserver or the reference `langgraph dev`.

    python bench/load.py --url http://127.0.0.1:8000 [--scenario 1,3] [--server-pid PID] [--json out.json]

The server must serve the graphs of ``bench/langgraph.json`` (``noop``, ``emit``, ``tokens``).
Every scenario checks what it counts: a missing, extra, duplicated or out-of-order event, an ``error``
frame or an HTTP error is an *error* of the scenario (reported, and the scenario is marked failed),
never a data point.

Scenarios:
  1  sequential streamed runs of ``noop``: time to headers, first event, first data event, end (p50/p90/p99)
  2  runs/s with C concurrent clients, each creating a thread and streaming a ``noop`` run
  3  events/s of one ``emit`` run (N custom events, each checked once and in order)
  4  fan-out: K clients on one thread stream (GET /threads/{id}/stream) while ``emit`` runs
  5  M idle thread streams: server RSS per stream, idle CPU, and time to first event of new runs meanwhile
  6  tokens/s of ``tokens`` with ``messages-tuple``

HTTP client: aiohttp (see bench/README.md: it costs ~6x less client CPU per SSE frame than httpx,
which matters on a 2-core machine where client and server share the CPUs).
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import (  # noqa: E402  (SSE parsing and the per-run checks)
    NOOP_BODY,
    BenchError,
    EmitCheck,
    JoinCheck,
    NoopCheck,
    ThreadEmitCheck,
    TokensCheck,
    check_status,
    create_thread,
    emit_body,
    sse_batches,
    stream_run,
    ticks_body,
    tokens_body,
)

NOW = time.perf_counter
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values, q):
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def dist_ms(values):
    return {"p50": _ms(pct(values, 50)), "p90": _ms(pct(values, 90)), "p99": _ms(pct(values, 99)),
            "min": _ms(min(values) if values else None), "max": _ms(max(values) if values else None), "n": len(values)}


def _ms(v):
    return None if v is None else round(v * 1000, 2)


# --------------------------------------------------------------------------------------------
# The server process (optional): RSS and CPU from /proc
# --------------------------------------------------------------------------------------------
class ServerProc:
    """One server process, or several (``"pid,pid,..."``: a scale-out layout, summed)."""

    def __init__(self, pids):
        self.pids = [int(p) for p in str(pids).split(",") if p.strip()]
        self.pid = self.pids[0]

    def _tree(self):
        pids, todo = [], list(self.pids)
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        todo.extend(int(c) for c in fh.read().split())
            except OSError:
                pass
        return pids

    def rss_kb(self):
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def cpu_seconds(self):
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (of all threads)
            except OSError:
                pass
        return total / CLK_TCK

    def threads(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/task"))
        except OSError:
            return None


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------
async def scenario_1(ctx):
    """Sequential streamed runs of noop: latency distribution."""
    s, a = ctx.session, ctx.args
    for _ in range(a.warmup):
        await stream_run(s, await create_thread(s), NOOP_BODY, NoopCheck())
    timings, errors = [], []
    for _ in range(a.s1_runs):
        thread_id = await create_thread(s)
        try:
            timings.append(await stream_run(s, thread_id, NOOP_BODY, NoopCheck()))
        except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
            errors.append(repr(exc))
    return {
        "runs": len(timings),
        "errors": errors,
        "headers_ms": dist_ms([t["headers"] for t in timings]),
        "first_event_ms": dist_ms([t["first_event"] for t in timings]),
        "first_data_ms": dist_ms([t["first_data"] for t in timings]),
        "end_ms": dist_ms([t["end"] for t in timings]),
    }


async def scenario_2(ctx):
    """C concurrent clients, each: create a thread, stream a noop run; for D seconds."""
    a = ctx.args
    timings, errors = [], []
    deadline = NOW() + a.s2_seconds

    async def client(s):
        while NOW() < deadline:
            try:
                thread_id = await create_thread(s)
                t0 = NOW()
                result = await stream_run(s, thread_id, NOOP_BODY, NoopCheck())
                result["with_thread"] = result["end"] + (t0 - result["t0"])
                timings.append(result)
            except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
                errors.append(repr(exc))
                await asyncio.sleep(0.05)

    start = NOW()
    # clients spread over the servers of a scale-out layout (--url a,b,...)
    await asyncio.gather(*(client(ctx.sessions[i % len(ctx.sessions)]) for i in range(a.s2_clients)))
    elapsed = NOW() - start
    return {
        "clients": a.s2_clients,
        "seconds": round(elapsed, 3),
        "runs": len(timings),
        "runs_per_s": round(len(timings) / elapsed, 2),
        "errors": errors[:20],
        "error_count": len(errors),
        "first_event_ms": dist_ms([t["first_event"] for t in timings]),
        "end_ms": dist_ms([t["end"] for t in timings]),
    }


async def scenario_3(ctx):
    """One emit run of N custom events: events/s, every event checked once and in order."""
    s, a = ctx.session, ctx.args
    results, errors = [], []
    for _ in range(a.s3_repeats):
        thread_id = await create_thread(s)
        check = EmitCheck(a.emit_n)
        try:
            t = await stream_run(s, thread_id, emit_body(a.emit_n), check)
        except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
            errors.append(repr(exc))
            continue
        span = check.t_last - check.t_meta  # from the run's start (metadata) to its last event
        results.append({
            "events": check.next,
            "events_per_s": round(check.next / span, 1),
            "events_per_s_end_to_end": round(check.next / t["end"], 1),
            "first_event_ms": _ms(t["first_event"]),
            "stream_s": round(t["end"], 3),
        })
    best = statistics.median([r["events_per_s"] for r in results]) if results else None
    return {"n": a.emit_n, "repeats": results, "events_per_s": best, "errors": errors}


async def scenario_4(ctx):
    """K clients on one thread's stream while emit runs: all receive all events."""
    s, a = ctx.session, ctx.args
    thread_id = await create_thread(s)
    checks = [ThreadEmitCheck(a.s4_n) for _ in range(a.s4_clients)]
    connected = 0
    all_connected = asyncio.Event()
    errors = []

    async def listener(check):
        nonlocal connected
        async with s.get(f"/threads/{thread_id}/stream") as resp:
            await check_status(resp, "GET thread stream")
            connected += 1
            if connected == len(checks):
                all_connected.set()
            async for t, frames, _ in sse_batches(resp):
                for event, data, _id in frames:
                    check.feed(t, event, data)
                if check.done:
                    break
        check.finish()

    tasks = [asyncio.create_task(listener(c)) for c in checks]
    try:
        await asyncio.wait_for(all_connected.wait(), 60)
    except TimeoutError:
        errors.append(f"only {connected}/{len(checks)} listeners connected")
    await asyncio.sleep(a.s4_settle)  # let every listener subscribe after its headers
    t0 = NOW()
    async with s.post(f"/threads/{thread_id}/runs", json=emit_body(a.s4_n)) as resp:
        await check_status(resp, "POST runs")
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = NOW() - t0
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            errors.append(repr(outcome))
    done = [c.t_done - t0 for c in checks if c.done and c.next == a.s4_n]
    delivered = sum(c.next for c in checks)
    return {
        "clients": a.s4_clients,
        "n": a.s4_n,
        "complete_clients": len(done),
        "seconds": round(elapsed, 3),
        "delivered_events": delivered,
        "delivered_events_per_s": round(delivered / elapsed, 1),
        "client_done_ms": dist_ms(done),
        "errors": errors[:20],
        "error_count": len(errors),
    }


async def scenario_5(ctx):
    """M idle thread streams: RSS per stream, idle CPU, and new runs still start fast."""
    s, a, proc = ctx.session, ctx.args, ctx.proc
    result = {"streams": a.s5_streams, "errors": []}
    sem = asyncio.Semaphore(32)

    async def make_thread():
        async with sem:
            return await create_thread(s)

    threads = await asyncio.gather(*(make_thread() for _ in range(a.s5_streams)))
    # warm the server up: a few runs and a few short-lived streams (lazy pools, caches)
    for _ in range(3):
        await stream_run(s, await create_thread(s), NOOP_BODY, NoopCheck())
    if proc:
        await asyncio.sleep(1)
        result["idle_cpu_pct_before"] = round(await _cpu_pct(proc, a.s5_idle_seconds / 2), 2)
        result["rss_kb_before"] = proc.rss_kb()
        result["server_threads_before"] = proc.threads()

    opened = failed = 0
    beats = 0
    closed_early = []
    all_open = asyncio.Event()
    stop = asyncio.Event()

    async def idle_stream(thread_id):
        nonlocal opened, failed, beats
        try:
            async with sem:
                resp = await s.get(f"/threads/{thread_id}/stream")
            await check_status(resp, "GET thread stream")
        except BaseException:
            failed += 1
            if opened + failed == a.s5_streams:
                all_open.set()
            raise
        try:
            opened += 1
            if opened + failed == a.s5_streams:
                all_open.set()
            reader = asyncio.ensure_future(_drain_idle(resp))
            stopper = asyncio.ensure_future(stop.wait())
            finished, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if reader in finished:
                closed_early.append(thread_id)
                beats += reader.result()
            else:
                reader.cancel()
        finally:
            resp.close()

    t_open = NOW()
    tasks = [asyncio.create_task(idle_stream(t)) for t in threads]
    try:
        await asyncio.wait_for(all_open.wait(), 120)
    except TimeoutError:
        result["errors"].append(f"only {opened}/{a.s5_streams} streams opened")
    result["open_all_s"] = round(NOW() - t_open, 3)
    result["opened"] = opened
    await asyncio.sleep(2)
    if proc:
        result["rss_kb_open"] = proc.rss_kb()
        result["server_threads_open"] = proc.threads()
        result["rss_per_stream_kb"] = round((result["rss_kb_open"] - result["rss_kb_before"]) / max(opened, 1), 2)
        result["idle_cpu_pct_open"] = round(await _cpu_pct(proc, a.s5_idle_seconds), 2)
    else:
        await asyncio.sleep(a.s5_idle_seconds)
    # new runs while the streams are open
    timings = []
    for _ in range(a.s5_runs):
        try:
            timings.append(await stream_run(s, await create_thread(s), NOOP_BODY, NoopCheck()))
        except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
            result["errors"].append(repr(exc))
    result["new_run_first_event_ms"] = dist_ms([t["first_event"] for t in timings])
    result["new_run_end_ms"] = dist_ms([t["end"] for t in timings])
    if closed_early:
        result["errors"].append(f"{len(closed_early)} idle streams ended by the server")
    stop.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    result["errors"] += [repr(o) for o in outcomes if isinstance(o, BaseException)][:20]
    if proc:
        await asyncio.sleep(2)
        result["rss_kb_after_close"] = proc.rss_kb()
    return result


async def _drain_idle(resp):
    beats = 0
    async for _t, _frames, b in sse_batches(resp):
        beats += b
    return beats


async def _cpu_pct(proc, seconds):
    c0, t0 = proc.cpu_seconds(), NOW()
    await asyncio.sleep(seconds)
    return 100.0 * (proc.cpu_seconds() - c0) / (NOW() - t0)


async def scenario_6(ctx):
    """tokens with messages-tuple: tokens (chunks) per second."""
    s, a = ctx.session, ctx.args
    results, errors = [], []
    for _ in range(a.warmup):
        await stream_run(s, await create_thread(s), tokens_body(a.tokens_words), TokensCheck(a.tokens_words))
    for _ in range(a.s6_runs):
        check = TokensCheck(a.tokens_words)
        try:
            t = await stream_run(s, await create_thread(s), tokens_body(a.tokens_words), check)
        except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
            errors.append(repr(exc))
            continue
        span = check.t_last - check.t_meta
        results.append({"chunks": check.chunks, "tokens_per_s": check.chunks / span,
                        "tokens_per_s_end_to_end": check.chunks / t["end"], "end": t["end"],
                        "first_event": t["first_event"]})
    return {
        "words": a.tokens_words,
        "runs": len(results),
        "chunks": results[0]["chunks"] if results else None,
        "tokens_per_s": round(statistics.median([r["tokens_per_s"] for r in results]), 1) if results else None,
        "tokens_per_s_end_to_end": round(statistics.median([r["tokens_per_s_end_to_end"] for r in results]), 1)
        if results else None,
        "end_ms": dist_ms([r["end"] for r in results]),
        "errors": errors,
    }


async def scenario_7(ctx):
    """K clients join one run's stream (GET /threads/{t}/runs/{r}/stream) right after its creation:
    how fast all are connected; each must get consecutive ticks up to the run's last one."""
    s, a = ctx.session, ctx.args
    thread_id = await create_thread(s)
    async with s.post(f"/threads/{thread_id}/runs", json=ticks_body(a.s7_ticks, a.s7_delay)) as resp:
        await check_status(resp, "POST runs")
        run_id = (await resp.json())["run_id"]
    t0 = NOW()
    connected, firsts = [], []

    async def joiner():
        check = JoinCheck(a.s7_ticks)
        async with s.get(f"/threads/{thread_id}/runs/{run_id}/stream") as resp:
            await check_status(resp, "GET join")
            connected.append(NOW() - t0)
            async for _t, frames, _ in sse_batches(resp):
                for event, data, _id in frames:
                    check.feed(event, data)
        check.finish()
        firsts.append(check.first)

    outcomes = await asyncio.gather(*(joiner() for _ in range(a.s7_clients)), return_exceptions=True)
    errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    return {
        "clients": a.s7_clients,
        "ticks": a.s7_ticks,
        "connected_ms": dist_ms(connected),
        "all_connected_ms": _ms(max(connected)) if connected else None,
        "clients_from_first_tick": sum(1 for f in firsts if f == 0),
        "errors": errors[:20],
        "error_count": len(errors),
    }


SCENARIOS = {1: scenario_1, 2: scenario_2, 3: scenario_3, 4: scenario_4, 5: scenario_5, 6: scenario_6,
             7: scenario_7}
TITLES = {
    1: "sequential noop runs (latency)", 2: "concurrent clients (runs/s)", 3: "one emit stream (events/s)",
    4: "fan-out on a thread stream", 5: "idle thread streams (memory, CPU)", 6: "tokens (messages-tuple)",
    7: "clients joining one run",
}


class Ctx:
    def __init__(self, sessions, args, proc):
        self.sessions, self.args, self.proc = sessions, args, proc
        self.session = sessions[0]


def _errors(result):
    return result.get("error_count", len(result.get("errors", [])))


async def run(args):
    proc = ServerProc(args.server_pid) if args.server_pid else None
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=args.read_timeout)
    out = {"url": args.url, "label": args.label, "server_pid": args.server_pid, "scenarios": {}}
    sessions = [aiohttp.ClientSession(url, connector=connector, connector_owner=False, timeout=timeout)
                for url in args.url.split(",")]
    try:
        for session in sessions:
            async with session.get("/ok") as resp:
                await check_status(resp, "GET /ok")
        ctx = Ctx(sessions, args, proc)
        for number in args.scenario:
            cpu0 = proc.cpu_seconds() if proc else None
            t0 = NOW()
            try:
                result = await asyncio.wait_for(SCENARIOS[number](ctx), args.scenario_timeout)
            except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
                result = {"errors": [f"scenario aborted: {exc!r}"]}
            result["wall_s"] = round(NOW() - t0, 3)
            if proc:
                result["server_cpu_s"] = round(proc.cpu_seconds() - cpu0, 3)
                result["server_rss_kb"] = proc.rss_kb()
            result["ok"] = _errors(result) == 0
            out["scenarios"][str(number)] = result
            print(f"[{args.label}] scenario {number} ({TITLES[number]}): "
                  f"{'ok' if result['ok'] else 'ERRORS: ' + '; '.join(result['errors'][:3])}", file=sys.stderr, flush=True)
    finally:
        for session in sessions:
            await session.close()
        await connector.close()
    return out


def table(out):
    rows = []
    sc = out["scenarios"]

    def add(name, value, unit=""):
        rows.append((name, "-" if value is None else f"{value}{unit}"))

    if "1" in sc and "first_event_ms" in sc["1"]:
        r = sc["1"]
        add("1 headers p50", r["headers_ms"]["p50"], " ms")
        for q in ("p50", "p90", "p99"):
            add(f"1 first event {q}", r["first_event_ms"][q], " ms")
        add("1 first data event p50", r["first_data_ms"]["p50"], " ms")
        add("1 end of stream p50", r["end_ms"]["p50"], " ms")
        add("1 end of stream p99", r["end_ms"]["p99"], " ms")
    if "2" in sc and "runs_per_s" in sc["2"]:
        r = sc["2"]
        add(f"2 runs/s ({r['clients']} clients)", r["runs_per_s"])
        add("2 run end p50 / p99", f"{r['end_ms']['p50']} / {r['end_ms']['p99']}", " ms")
    if "3" in sc and "events_per_s" in sc["3"]:
        add(f"3 events/s (N={sc['3']['n']})", sc["3"]["events_per_s"])
    if "4" in sc and "delivered_events_per_s" in sc["4"]:
        r = sc["4"]
        add(f"4 fan-out {r['clients']}x{r['n']}: complete clients", r["complete_clients"])
        add("4 fan-out delivered events/s", r["delivered_events_per_s"])
        add("4 fan-out last client done", r["client_done_ms"]["max"], " ms")
    if "5" in sc and "opened" in sc["5"]:
        r = sc["5"]
        add("5 idle streams opened", r["opened"])
        add("5 RSS per idle stream", r.get("rss_per_stream_kb"), " KB")
        add("5 server CPU, no streams", r.get("idle_cpu_pct_before"), " %")
        add(f"5 server CPU, {r['opened']} idle streams", r.get("idle_cpu_pct_open"), " %")
        add("5 new run first event p50", r["new_run_first_event_ms"]["p50"], " ms")
    if "6" in sc and "tokens_per_s" in sc["6"]:
        add(f"6 tokens/s ({sc['6']['chunks']} chunks)", sc["6"]["tokens_per_s"])
        add("6 tokens/s end to end", sc["6"]["tokens_per_s_end_to_end"])
    if "7" in sc and "connected_ms" in sc["7"]:
        r = sc["7"]
        add(f"7 join {r['clients']} clients: all connected", r["all_connected_ms"], " ms")
        add("7 join: connected p50", r["connected_ms"]["p50"], " ms")
        add("7 join: clients from the first tick", r["clients_from_first_tick"])
    for number, r in sc.items():
        if not r.get("ok"):
            add(f"{number} ERRORS", _errors(r))
    width = max((len(n) for n, _ in rows), default=10)
    lines = [f"== {out['label']} ({out['url']})"] + [f"{n:<{width}}  {v}" for n, v in rows]
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--label", default="server")
    p.add_argument("--scenario", default="1,2,3,4,5,6,7", help="comma-separated scenario numbers")
    p.add_argument("--server-pid", help="the server process(es: pid,pid,...), for RSS and CPU from /proc")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--quick", action="store_true", help="small sizes everywhere (a smoke run)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--read-timeout", type=float, default=120.0)
    p.add_argument("--scenario-timeout", type=float, default=600.0)
    p.add_argument("--s1-runs", type=int, default=100)
    p.add_argument("--s2-clients", type=int, default=32)
    p.add_argument("--s2-seconds", type=float, default=15.0)
    p.add_argument("--emit-n", type=int, default=20000)
    p.add_argument("--s3-repeats", type=int, default=3)
    p.add_argument("--s4-clients", type=int, default=100)
    p.add_argument("--s4-n", type=int, default=2000)
    p.add_argument("--s4-settle", type=float, default=1.0)
    p.add_argument("--s5-streams", type=int, default=1000)
    p.add_argument("--s5-idle-seconds", type=float, default=10.0)
    p.add_argument("--s5-runs", type=int, default=10)
    p.add_argument("--s6-runs", type=int, default=10)
    p.add_argument("--tokens-words", type=int, default=100)
    p.add_argument("--s7-clients", type=int, default=100)
    p.add_argument("--s7-ticks", type=int, default=40)
    p.add_argument("--s7-delay", type=float, default=0.05)
    args = p.parse_args(argv)
    if args.quick:
        quick = {"warmup": 1, "s1_runs": 10, "s2_seconds": 3.0, "s2_clients": 8, "emit_n": 2000, "s3_repeats": 1,
                 "s4_clients": 10, "s4_n": 200, "s5_streams": 50, "s5_idle_seconds": 2.0, "s5_runs": 3, "s6_runs": 3,
                 "s7_clients": 20}
        explicit = {a.split("=")[0].lstrip("-").replace("-", "_") for a in (argv or sys.argv[1:]) if a.startswith("--")}
        for key, value in quick.items():
            if key not in explicit:
                setattr(args, key, value)
    args.scenario = [int(x) for x in str(args.scenario).split(",") if x.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    out = asyncio.run(run(args))
    out["args"] = dict(vars(args))
    print(table(out))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0 if all(r.get("ok") for r in out["scenarios"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
