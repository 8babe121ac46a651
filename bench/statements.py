#!/usr/bin/env python
"""How many SQL statements does one run cost? Counts every statement the server sends, per run.

    python bench/statements.py [--runs 50] [--database-url postgres://...] [--redis-url redis://...]

Starts daphne on ``bench.statements:application``: agentserver's own ASGI app with counters put
around the database drivers at import time (no agentserver file is changed): Django's connections
(``connection.execute_wrapper`` on every new connection) and the checkpointer's (sqlite3's trace callback on SQLite,
psycopg's async cursors on PostgreSQL). Then it runs what scenario 2 of ``load.py`` does, ``--runs``
times in sequence (create a thread, stream a ``noop`` run, each checked), and prints the statements
per run by kind, with the SQL's first words, so the hot path's round trips can be read off.
Background work in the same interval (the executor's heartbeat, scans) is counted too: that is what a
run costs on a server doing nothing else.
"""
import os
import re
import sys
import threading
import time

SQL_FILE = os.environ.get("BENCH_SQL_FILE")

if SQL_FILE and __name__ != "__main__":
    # ---------------- inside the server process: count, then build the app ----------------
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentserver.settings")
    _lock = threading.Lock()
    _fh = open(SQL_FILE, "a", buffering=1)

    def _log(kind, sql):
        text = " ".join(str(sql).split())[:110]
        with _lock:
            _fh.write(f"{kind}\t{text}\n")

    def _django_wrapper(execute, sql, params, many, context):
        _log("django-many" if many else "django", sql)
        if sql.startswith('INSERT INTO "streaming_event"'):
            _log("batch", sql.count("(%s"))  # rows of one event batch (not a statement)
        return execute(sql, params, many, context)

    from django.db.backends.signals import connection_created

    def _on_connection(sender, connection, **kwargs):
        _log("django-connect", connection.vendor)
        if _django_wrapper not in connection.execute_wrappers:  # a pooled connection is connected again
            connection.execute_wrappers.append(_django_wrapper)

    connection_created.connect(_on_connection, weak=False)

    def _wrap(owner, attr, kind):
        original = getattr(owner, attr)

        def inner(self, sql, *args, **kwargs):
            _log(kind, sql)
            return original(self, sql, *args, **kwargs)

        setattr(owner, attr, inner)

    from agentserver.sqlite_saver import OneHopSqliteSaver

    opened = OneHopSqliteSaver.open.__func__

    async def open_traced(cls, path, **kwargs):  # sqlite3 reports each statement it runs
        saver = await opened(cls, path, **kwargs)
        await saver.arun(saver.conn.set_trace_callback, lambda sql: _log("checkpointer", sql))
        return saver

    OneHopSqliteSaver.open = classmethod(open_traced)
    try:
        import psycopg

        _wrap(psycopg.AsyncCursor, "execute", "checkpointer")
        _wrap(psycopg.AsyncCursor, "executemany", "checkpointer-many")
        _wrap(psycopg.AsyncConnection, "execute", "checkpointer")
    except ImportError:
        pass

    from agentserver.asgi import application  # noqa: E402,F401


def _normalize(sql):
    sql = re.sub(r'SAVEPOINT "[^"]*"', "SAVEPOINT s", sql)
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    sql = re.sub(r"%s|\$\d+", "?", sql)
    return sql[:90]


def _driver():
    import argparse
    import asyncio
    import shutil
    from pathlib import Path

    import aiohttp

    bench = Path(__file__).resolve().parent
    sys.path.insert(0, str(bench))
    import checks  # noqa: E402

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--database-url", help="default: SQLite in a temp dir")
    p.add_argument("--redis-url", help="default: in-process channel layer")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--graph", choices=("noop", "tokens"), default="noop",
                   help="tokens: a messages-tuple run of bench/graphs.py's tokens (100 words): its batches")
    args = p.parse_args()

    from harness import InstrumentedServer

    server = InstrumentedServer("bench.statements:application", "bench-sql-", database_url=args.database_url,
                                redis_url=args.redis_url, migrate_without=("BENCH_SQL_FILE",),
                                BENCH_SQL_FILE="")
    sql_file = server.tmp / "sql.txt"
    server.env["BENCH_SQL_FILE"] = str(sql_file)
    try:
        server.start()
        url = server.url

        def body_and_check():
            if args.graph == "tokens":
                return checks.tokens_body(100), checks.TokensCheck(100)
            return checks.NOOP_BODY, checks.NoopCheck()

        async def runs(n):
            async with aiohttp.ClientSession(url) as session:
                for _ in range(n):
                    thread_id = await checks.create_thread(session)
                    await checks.stream_run(session, thread_id, *body_and_check())

        asyncio.run(runs(3))  # warm-up: connections, graph compilation, first-use caches
        time.sleep(0.5)
        start = len(sql_file.read_text().splitlines())
        asyncio.run(runs(args.runs))
        time.sleep(0.5)  # the last run's finishing statements
        lines = sql_file.read_text().splitlines()[start:]
    finally:
        server.stop()
    report(lines, args.runs, args.graph)
    if args.keep:
        print(f"\nkept in {server.tmp}")
    else:
        shutil.rmtree(server.tmp, ignore_errors=True)


def report(lines, runs, graph="noop"):
    from collections import Counter

    kinds, statements, batches = Counter(), Counter(), Counter()
    for line in lines:
        kind, _, sql = line.partition("\t")
        if kind == "batch":
            batches[int(sql)] += 1
            continue
        kinds[kind] += 1
        statements[(kind, _normalize(sql))] += 1
    total = sum(n for kind, n in kinds.items() if kind != "django-connect")
    print(f"{runs} runs (create a thread + stream a {graph} run each): {total / runs:.1f} statements per run")
    for kind, n in kinds.most_common():
        print(f"  {kind:<18} {n / runs:6.2f} per run")
    print("\nper run, by statement:")
    for (kind, sql), n in statements.most_common():
        print(f"  {n / runs:6.2f}  {kind:<17} {sql}")
    if batches:
        shown = ", ".join(f"{size} rows x {n}" for size, n in sorted(batches.items()))
        print(f"\nevent batches (rows per INSERT, in all runs): {shown}")


if __name__ == "__main__":
    _driver()
