"""How the LangGraph store is built from langgraph.json's ``store`` section (index, TTL).

SQLite: the vector index is sqlite-vec, loaded as an SQLite extension. PostgreSQL: pgvector; its
absence is a start-up error naming the extension.
"""
from agentserver.conf import agent_settings


def store_options():
    """The store's vector index and TTL from langgraph.json (``store.index``, ``store.ttl``)."""
    from agentserver import lgconfig

    return {key: value for key, value in (("index", lgconfig.store_index()), ("ttl", lgconfig.store_ttl())) if value}


async def require_pgvector(pool):
    from agentserver.graphs import GraphConfigError

    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'vector'")).fetchone()
    if row is None:
        raise GraphConfigError(
            "langgraph.json 'store.index' needs the PostgreSQL extension 'vector' (pgvector), which is not "
            "installed on this database server (e.g. apt install postgresql-16-pgvector, then restart)"
        )


async def sqlite_store_connection(*, indexed):
    """The SQLite store's connection. A vector index needs SQLite extension loading (sqlite-vec); a
    Python built without it (``enable_load_extension`` missing) gets pysqlite3's bundled SQLite, on a
    file of its own (``store.sqlite3`` beside the checkpoints): two SQLite libraries in one process
    must never open the same database file (their POSIX locks would not see each other)."""
    import sqlite3
    from pathlib import Path

    import aiosqlite

    path = agent_settings.CHECKPOINTER_PATH
    if not indexed or hasattr(sqlite3.Connection, "enable_load_extension"):
        return await aiosqlite.connect(path, isolation_level=None)
    path = str(Path(path).with_name("store.sqlite3"))
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        from agentserver.graphs import GraphConfigError

        raise GraphConfigError(
            "langgraph.json 'store.index' needs SQLite extension loading (for sqlite-vec), which this Python "
            "lacks: pip install pysqlite3-binary"
        ) from None
    conn = await aiosqlite.Connection(lambda: dbapi2.connect(path, isolation_level=None, check_same_thread=False), 64)
    await conn.execute("PRAGMA journal_mode=WAL")
    return conn
