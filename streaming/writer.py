"""Batched, ordered writes of a run's events, off the graph's hot path.

``emit()`` only appends to a buffer. One flusher task at a time stores everything buffered in one
transaction (so a burst becomes one batch while the previous one is written), then wakes listeners.
Order is kept: batches are written one after another and seq numbers are assigned in emit order.
"""
import asyncio

from agentserver import serde
from agentserver.db import db
from streaming import notify
from streaming.services import store_run_events


class EventWriter:
    def __init__(self, *, thread_id, run_id, start_seq=0):
        self.thread_id = thread_id
        self.run_id = run_id
        self.next_seq = start_seq + 1
        self._buffer = []
        self._task = None
        self.error = None

    def emit(self, event, data):
        text = data if isinstance(data, str) else serde.dumps_str(data)
        self._buffer.append((event, text))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self):
        while self._buffer:
            batch, self._buffer = self._buffer, []
            first = self.next_seq
            self.next_seq += len(batch)
            try:
                rows = await db(store_run_events)(
                    thread_id=self.thread_id, run_id=self.run_id, first_seq=first, frames=batch
                )
            except Exception as exc:  # noqa: BLE001 - surfaced by aclose()
                self.error = exc
                raise
            await notify.aevents_stored(thread_id=self.thread_id, run_id=self.run_id, rows=rows)

    async def aclose(self):
        """Wait until every emitted event is stored and announced."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        if self._buffer:
            self._task = asyncio.get_running_loop().create_task(self._flush())
            await self._task
