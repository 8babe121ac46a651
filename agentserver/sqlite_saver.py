"""The embedded default's checkpointer: LangGraph's ``SqliteSaver``, each async call one thread hop.

``AsyncSqliteSaver`` sends every statement, fetch, cursor close and commit to aiosqlite's thread and
back: 25 round trips between the runtime loop and that thread for one ``noop`` run, each a queue
put, a thread wake-up and a ``call_soon_threadsafe`` back. This saver runs LangGraph's own sync
methods (same tables, same serialisation) on one dedicated thread, one round trip per call.

``put_writes`` stores a task's writes in one transaction (the library's commits the rows before a
failing one: a crash in the middle left part of a task's writes, and the retried run took the task
as done with only some of them).
"""
import functools
import sqlite3

from langgraph.checkpoint.base import WRITES_IDX_MAP
from langgraph.checkpoint.sqlite import SqliteSaver

from agentserver.threadhop import Threads

_WRITES = ("INSERT OR {verb} INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, "
           "channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


class OneHopSqliteSaver(SqliteSaver):
    """``SqliteSaver`` on a connection in autocommit mode, used only from its own thread."""

    def __init__(self, conn, threads, **kwargs):
        super().__init__(conn, **kwargs)
        self.threads = threads

    @classmethod
    async def open(cls, path, **kwargs):
        threads = Threads(1, name="agentserver-checkpointer")

        def connect():
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn

        conn = await threads.run(connect)
        saver = cls(conn, threads, **kwargs)
        await saver.arun(saver.setup)
        return saver

    async def arun(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on the saver's thread (the only one that touches its connection)."""
        call = functools.partial(fn, *args, **kwargs) if args or kwargs else fn
        return await self.threads.run(call)

    async def aclose(self):
        await self.arun(self.conn.close)
        self.threads.stop()

    def put_writes(self, config, writes, task_id, task_path=""):
        verb = "REPLACE" if all(w[0] in WRITES_IDX_MAP for w in writes) else "IGNORE"
        configurable = config["configurable"]
        rows = [(str(configurable["thread_id"]), str(configurable["checkpoint_ns"]),
                 str(configurable["checkpoint_id"]), task_id, task_path, WRITES_IDX_MAP.get(channel, idx),
                 channel, *self.serde.dumps_typed(value)) for idx, (channel, value) in enumerate(writes)]
        with self.lock:
            self.setup()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.executemany(_WRITES.format(verb=verb), rows)
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()

    async def aget_tuple(self, config):
        return await self.arun(self.get_tuple, config)

    async def alist(self, config, *, filter=None, before=None, limit=None):
        found = await self.arun(lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
        for item in found:
            yield item

    async def aput(self, config, checkpoint, metadata, new_versions):
        return await self.arun(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config, writes, task_id, task_path=""):
        return await self.arun(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id):
        return await self.arun(self.delete_thread, thread_id)

    async def aget_delta_channel_history(self, *, config, channels):
        return await self.arun(self.get_delta_channel_history, config=config, channels=channels)

    async def aprune(self, thread_ids, *, strategy="keep_latest"):
        return await self.arun(self.prune, thread_ids, strategy=strategy)

    async def acopy_thread(self, source_thread_id, target_thread_id):
        return await self.arun(self.copy_thread, source_thread_id, target_thread_id)

    async def adelete_for_runs(self, run_ids):
        return await self.arun(self.delete_for_runs, run_ids)
