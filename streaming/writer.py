"""Batched, ordered writes of a run's events, off the graph's hot path.

``emit()`` only appends to a buffer. One flusher task at a time stores everything buffered in one
transaction (so a burst becomes one batch while the previous one is written), then wakes listeners.
Order is kept: batches are written one after another and seq numbers are assigned in emit order.

A burst is gathered for a moment: the first event after a quiet spell is stored at once (time to
first event stays a single write), but when events arrived while a batch was being stored, the
flusher waits ``EVENT_BATCH_WINDOW_SECONDS`` (a few ms) for more before storing them, so that a
token stream costs one transaction, one wake-up and one SSE write per few dozen tokens rather
than per few. ``aclose()`` (the run's end) cuts the wait short.

Nothing is lost and there is never a hole: ``next_seq`` advances only once a batch is stored. A batch
whose write fails (a connection terminated, a database restart) is retried on a fresh connection,
in order, with the same seqs (``agentserver.db`` closes a broken connection, so a retry reconnects);
a write that committed but whose answer was lost is recognised by its seqs and not stored twice.
When a batch cannot be stored within ``RETRY_DELAYS``, the writer is broken: ``error`` is set,
``on_failure`` is called (the executor ends the run as an error), later emits are dropped, and an
``error`` frame is stored in the failed batch's place if the database takes it.
"""
import asyncio
import logging

from django.db import Error as DatabaseError

from agentserver import serde
from agentserver.conf import agent_settings
from agentserver.db import db
from streaming import notify
from streaming.services import store_run_events, stored_run_events

logger = logging.getLogger(__name__)

# Pauses between the attempts at storing one batch (about 8 s in all).
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)


class EventStoreError(Exception):
    """A batch of a run's events could not be stored."""


class EventWriter:
    def __init__(self, *, thread_id, run_id, start_seq=0, on_failure=None):
        self.thread_id = thread_id
        self.run_id = run_id
        self.next_seq = start_seq + 1
        self.on_failure = on_failure
        self._buffer = []
        self._task = None
        self._pause = None  # the flusher's wait for more events (a future), while it waits
        self._closing = False
        self.error = None

    @property
    def last_seq(self):
        """The seq of the run's last stored event."""
        return self.next_seq - 1

    def emit(self, event, data):
        if self.error is not None:
            return  # nothing may follow a batch that was not stored
        text = data if isinstance(data, str) else serde.dumps_str(data)
        self._buffer.append((event, text))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self):
        first = True
        while self._buffer and self.error is None:
            if not first:
                await self._gather()
            first = False
            batch, self._buffer = self._buffer, []
            try:
                rows = await self._store(batch)
            except EventStoreError as exc:
                self._fail(exc, len(batch))
                await self._store_error_frame(exc)
                return
            self.next_seq += len(batch)
            await notify.aevents_stored(thread_id=self.thread_id, run_id=self.run_id, rows=rows)

    async def _gather(self):
        """Let a burst grow for EVENT_BATCH_WINDOW_SECONDS (not once the run is ending)."""
        window = agent_settings.EVENT_BATCH_WINDOW_SECONDS
        if self._closing or not window:
            return
        loop = asyncio.get_running_loop()
        self._pause = loop.create_future()
        timer = loop.call_later(window, _resolve, self._pause)
        try:
            await self._pause
        finally:
            timer.cancel()
            self._pause = None

    async def _store(self, batch):
        first = self.next_seq
        last_exc = None
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                await asyncio.sleep(delay)
            try:
                if attempt:
                    # did the failed attempt commit before its connection went away?
                    stored = await db(stored_run_events)(run_id=self.run_id, first_seq=first, count=len(batch))
                    if stored:
                        return stored
                return await db(store_run_events)(
                    thread_id=self.thread_id, run_id=self.run_id, first_seq=first, frames=batch
                )
            except DatabaseError as exc:
                last_exc = exc
                logger.warning("run %s: storing events %s-%s failed (attempt %s): %s", self.run_id, first,
                               first + len(batch) - 1, attempt + 1, exc)
        raise EventStoreError(f"events {first}-{first + len(batch) - 1} of run {self.run_id} could not be "
                              f"stored: {last_exc}") from last_exc

    def _fail(self, exc, count):
        self.error = exc
        dropped = count + len(self._buffer)
        self._buffer = []
        logger.error("run %s: the event log is broken (%s events not stored): %s", self.run_id, dropped, exc)
        if self.on_failure is not None:
            self.on_failure(exc)

    async def _store_error_frame(self, exc):
        frame = [("error", serde.dumps_str({"error": "EventStoreError", "message": str(exc)}))]
        try:
            rows = await db(store_run_events)(thread_id=self.thread_id, run_id=self.run_id,
                                              first_seq=self.next_seq, frames=frame)
        except DatabaseError:
            return
        self.next_seq += 1
        await notify.aevents_stored(thread_id=self.thread_id, run_id=self.run_id, rows=rows)

    async def aclose(self):
        """Wait until every emitted event is stored and announced (or the writer is broken)."""
        self._closing = True
        _resolve(self._pause)
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        if self._buffer and self.error is None:
            self._task = asyncio.get_running_loop().create_task(self._flush())
            await self._task


def _resolve(future):
    if future is not None and not future.done():
        future.set_result(None)
