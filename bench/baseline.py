#!/usr/bin/env python
"""In-process baseline: the bench graphs through ``graph.astream`` with no server, the floor for overhead.

    python bench/baseline.py [--json out.json] [--quick]

Measured per checkpointer: ``none`` (the pure graph), ``memory`` (InMemorySaver) and ``sqlite``
(AsyncSqliteSaver on a temp file, WAL, as agentserver's embedded default uses):
  * noop: time from calling ``astream`` to its first chunk and to its end (p50/p90/p99);
  * emit: custom events per second for one run of N events (each checked once and in order);
  * tokens: ``messages`` chunks per second (their contents must concatenate to the expected text).
"""
import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import graphs  # noqa: E402

NOW = time.perf_counter


def pct(values, q):
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def dist_ms(values):
    return {q: round(pct(values, n) * 1000, 3) for q, n in (("p50", 50), ("p90", 90), ("p99", 99))}


async def checkpointers(tmp):
    """Yield (name, checkpointer or None)."""
    from langgraph.checkpoint.memory import InMemorySaver

    yield "none", None
    yield "memory", InMemorySaver()
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    conn = await aiosqlite.connect(str(Path(tmp) / "checkpoints.sqlite3"), isolation_level=None)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    saver = AsyncSqliteSaver(conn)
    await saver.setup()
    try:
        yield "sqlite", saver
    finally:
        await conn.close()


def config():
    return {"configurable": {"thread_id": str(uuid.uuid4())}}


async def bench_noop(graph, runs):
    first, end = [], []
    for _ in range(runs):
        t0 = NOW()
        chunks = []
        async for chunk in graph.astream({}, config(), stream_mode="updates"):
            if not chunks:
                first.append(NOW() - t0)
            chunks.append(chunk)
        end.append(NOW() - t0)
        assert chunks == [{"noop": {"n": 1}}], chunks
    return {"first_event_ms": dist_ms(first), "end_ms": dist_ms(end), "runs": runs}


async def bench_emit(graph, n, repeats):
    rates = []
    for _ in range(repeats):
        expected = 0
        t0 = NOW()
        async for chunk in graph.astream({"n": n}, config(), stream_mode="custom"):
            assert chunk == {"i": expected}, chunk
            expected += 1
        elapsed = NOW() - t0
        assert expected == n, expected
        rates.append(n / elapsed)
    return {"n": n, "events_per_s": round(statistics.median(rates), 1), "all": [round(r, 1) for r in rates]}


async def bench_tokens(graph, words, runs):
    expected = graphs.expected_tokens_text(words)
    rates, counts = [], []
    for _ in range(runs):
        parts = []
        t0 = NOW()
        async for message, metadata in graph.astream(
            {"messages": [{"type": "human", "content": "go"}], "words": words}, config(), stream_mode="messages"
        ):
            assert metadata["langgraph_node"] == "chat", metadata
            parts.append(message.content)
        elapsed = NOW() - t0
        assert "".join(parts) == expected
        rates.append(len(parts) / elapsed)
        counts.append(len(parts))
    return {"words": words, "chunks": counts[0], "tokens_per_s": round(statistics.median(rates), 1)}


async def run(args):
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        async for name, saver in checkpointers(tmp):
            noop = graphs.noop.builder.compile(checkpointer=saver)
            emit = graphs.emit.builder.compile(checkpointer=saver)
            tokens = graphs.tokens.builder.compile(checkpointer=saver)
            await bench_noop(noop, 5)  # warm-up (imports, caches)
            out[name] = {
                "noop": await bench_noop(noop, args.noop_runs),
                "emit": await bench_emit(emit, args.emit_n, args.emit_repeats),
                "tokens": await bench_tokens(tokens, args.tokens_words, args.tokens_runs),
            }
            r = out[name]
            print(f"[{name:6}] noop first event p50 {r['noop']['first_event_ms']['p50']} ms, "
                  f"end p50 {r['noop']['end_ms']['p50']} ms | emit {r['emit']['events_per_s']} events/s | "
                  f"tokens {r['tokens']['tokens_per_s']}/s ({r['tokens']['chunks']} chunks)", flush=True)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--noop-runs", type=int, default=200)
    p.add_argument("--emit-n", type=int, default=graphs.EMIT_DEFAULT)
    p.add_argument("--emit-repeats", type=int, default=3)
    p.add_argument("--tokens-words", type=int, default=graphs.TOKENS_DEFAULT_WORDS)
    p.add_argument("--tokens-runs", type=int, default=10)
    args = p.parse_args(argv)
    if args.quick:
        args.noop_runs, args.emit_n, args.emit_repeats, args.tokens_runs = 20, 2000, 1, 3
    out = asyncio.run(run(args))
    out["args"] = vars(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
