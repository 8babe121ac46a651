"""LangGraph's checkpointer and store, built from DATABASE_URL, living on the runtime loop.

SQLite (the embedded default): ``sqlite_saver.OneHopSqliteSaver`` / ``AsyncSqliteStore`` on their own file.
PostgreSQL (scaled mode): ``AsyncPostgresSaver`` / ``AsyncPostgresStore`` on a psycopg pool.
"""
import asyncio
import functools
import inspect

from django.conf import settings

from agentserver import runtime, store_backend
from agentserver.conf import agent_settings

_state = {}
_lock = None


def _is_postgres():
    return settings.DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")


def _postgres_conninfo():
    db = settings.DATABASES["default"]
    parts = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


def _thread_id_in_metadata(saver_class):
    """``saver_class`` whose checkpoints' metadata also carry their ``thread_id`` (LangGraph leaves it
    out; the reference keeps it, so ``threads.get_history(metadata={"thread_id": ...})`` finds them)."""

    class Saver(saver_class):
        async def aput(self, config, checkpoint, metadata, new_versions):
            thread_id = (config.get("configurable") or {}).get("thread_id")
            if thread_id is not None and "thread_id" not in metadata:
                metadata = {**metadata, "thread_id": str(thread_id)}
            return await super().aput(config, checkpoint, metadata, new_versions)

        async def aput_writes(self, config, writes, task_id, task_path=""):
            return await super().aput_writes(config, writes, task_id, task_path)

        # LangGraph asks for this signature at the start of every run (does it take task_path?):
        # ready-made, inspect skips rebuilding it.
        aput_writes.__signature__ = inspect.signature(aput_writes)

    Saver.__name__ = Saver.__qualname__ = saver_class.__name__
    return Saver


_STORE_REPLACE = "INSERT OR REPLACE INTO store (prefix, key, value, created_at, updated_at, expires_at, ttl_minutes)"
_STORE_UPSERT = ("ON CONFLICT (prefix, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, "
                 "expires_at = excluded.expires_at, ttl_minutes = excluded.ttl_minutes")


def _sqlite_store_class():
    from langgraph.store.sqlite import AsyncSqliteStore

    class SqliteStore(AsyncSqliteStore):
        """``AsyncSqliteStore`` whose put of an existing item keeps its ``created_at``, as the
        PostgreSQL store and the reference do (the library's ``INSERT OR REPLACE`` wrote a new one)."""

        def _prepare_batch_PUT_queries(self, put_ops):
            queries, embedding_request = super()._prepare_batch_PUT_queries(put_ops)
            fixed = []
            for query, params in queries:
                if _STORE_REPLACE in query:
                    query = query.replace(_STORE_REPLACE, _STORE_REPLACE.replace("INSERT OR REPLACE", "INSERT"))
                    query = query.rstrip() + "\n" + _STORE_UPSERT
                fixed.append((query, params))
            return fixed, embedding_request

    SqliteStore.__name__ = SqliteStore.__qualname__ = AsyncSqliteStore.__name__
    return SqliteStore


async def _open_sqlite():
    from agentserver.sqlite_saver import OneHopSqliteSaver

    saver = await _thread_id_in_metadata(OneHopSqliteSaver).open(agent_settings.CHECKPOINTER_PATH)
    options = store_backend.store_options()
    store_conn = await store_backend.sqlite_store_connection(indexed=bool(options.get("index")))
    await store_conn.execute("PRAGMA busy_timeout=30000")
    store = _sqlite_store_class()(store_conn, **options)
    await store.setup()
    return {"checkpointer": saver, "store": store, "closers": [saver.aclose, store_conn.close]}


def _reconnecting(cls, methods):
    """``cls`` (a saver or store on a psycopg pool that does not check a connection at each borrow)
    whose ``methods`` are tried once more after a lost connection (a terminated session, a database
    restart), once the pool has dropped its broken connections. What they write is an upsert or a
    delete, so a second try of one that committed before its answer was lost changes nothing."""
    import psycopg

    def wrap(original):
        @functools.wraps(original)
        async def method(self, *args, **kwargs):
            try:
                return await original(self, *args, **kwargs)
            except psycopg.OperationalError:
                await self.conn.check()
                return await original(self, *args, **kwargs)

        return method

    def wrap_iterator(original):  # alist: tried again only if it failed before its first item
        @functools.wraps(original)
        async def method(self, *args, **kwargs):
            started = False
            try:
                async for item in original(self, *args, **kwargs):
                    started = True
                    yield item
            except psycopg.OperationalError:
                if started:
                    raise
                await self.conn.check()
                async for item in original(self, *args, **kwargs):
                    yield item

        return method

    attrs = {name: (wrap_iterator if inspect.isasyncgenfunction(getattr(cls, name)) else wrap)(getattr(cls, name))
             for name in methods}
    return type(cls.__name__, (cls,), attrs)


async def _open_postgres():
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from langgraph.store.postgres import AsyncPostgresStore
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(
        _postgres_conninfo(),
        min_size=1,
        max_size=min(8, max(2, agent_settings.WORKER_CONCURRENCY // 4)),
        kwargs={"autocommit": True, "prepare_threshold": None, "row_factory": dict_row},
        open=False,  # no check at each borrow (a round trip per call): _reconnecting tries again
    )
    await pool.open(wait=True, timeout=30)
    saver = _thread_id_in_metadata(_reconnecting(AsyncPostgresSaver, (
        "aget_tuple", "alist", "aput", "aput_writes", "adelete_thread", "aprune")))(pool)
    await saver.setup()
    options = store_backend.store_options()
    if options.get("index"):
        try:
            await store_backend.require_pgvector(pool)
        except Exception:
            await pool.close()
            raise
    class Store(_reconnecting(AsyncPostgresStore, ("abatch",))):
        async def abatch(self, ops):  # a list: a second try must see the same operations
            return await super().abatch(list(ops))

    Store.__name__ = Store.__qualname__ = AsyncPostgresStore.__name__
    store = Store(pool, **options)
    await store.setup()
    return {"checkpointer": saver, "store": store, "closers": [pool.close]}


async def _ensure():
    global _lock
    if _state:
        return _state
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if not _state:
            _state.update(await (_open_postgres() if _is_postgres() else _open_sqlite()))
    return _state


async def get_checkpointer():
    """The process-wide checkpointer. Must be awaited on the runtime loop."""
    return (await _ensure())["checkpointer"]


async def get_store():
    return (await _ensure())["store"]


def setup():
    """Create the checkpointer's and store's tables (called by migrate and at startup)."""
    runtime.call(_ensure())


async def _close():
    closers = _state.pop("closers", [])
    # The store's batching task would otherwise be cancelled by the store's __del__ with no loop
    # iteration left to finish it ("Task was destroyed but it is pending" at exit).
    stop_sweeper = getattr(_state.get("store"), "stop_ttl_sweeper", None)
    if stop_sweeper is not None:
        await stop_sweeper(timeout=5)
    batcher = getattr(_state.get("store"), "_task", None)
    if batcher is not None and not batcher.done():
        batcher.cancel()
        await asyncio.gather(batcher, return_exceptions=True)
    _state.clear()
    for close in closers:
        await close()


def close():
    """Close the checkpointer's and store's connections (tests, shutdown)."""
    if _state:
        runtime.call(_close())
