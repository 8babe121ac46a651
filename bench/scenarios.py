"""The scenarios of ``load.py``: what each one runs against a server, checks and counts.

Each ``scenario_N(ctx)`` returns a dict of figures and ``errors``; ``load.py`` runs them, times them
and prints the table. See ``load.py``'s docstring for the list and bench/README.md for what each
measures.
"""
import asyncio
import statistics
import time

import aiohttp
from checks import (  # SSE parsing and the per-run checks
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
