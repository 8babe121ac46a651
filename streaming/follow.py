"""Following a run's or a thread's event log: subscribe, replay from the DB, then go live.

Channel-layer messages carry the rows just stored; a listener uses them only when they continue
exactly where it is (``first == last + 1``), skips what it has already sent (de-duplication by
position), and re-reads the database on any gap, on a ``stream.end`` that names an event it has not
sent (``last_seq``), and on every idle heartbeat (rarely on a layer that reports drops). A
dropped message therefore costs latency, never an event.
"""
import asyncio

from agentserver.api import sse
from agentserver.conf import agent_settings
from agentserver.db import db
from streaming import notify, selectors
from streaming.models import EventRow

THREAD_MODES = ("lifecycle", "run_modes", "state_update")


def _run_filter(modes):
    if not modes:
        return lambda event: True
    wanted = set(modes)
    return lambda event: event == "error" or sse.mode_of(event) in wanted


async def _pump(consumer, *, group, last, read, from_message, emit, idle_reread=1, need_read=True, poll=None):
    """Subscribe, replay from the DB, then go live; see the module docstring.

    ``read(after)`` returns (rows, over, full) with rows [(position, row)]; ``from_message(message)``
    returns the [(position, row)] a wake-up carries, or None; ``emit(row)`` returns the bytes for one
    row (or b""); a batch of rows goes out as one chunk. While idle, the DB is re-read every
    ``idle_reread`` heartbeat periods (every time while the layer is down; 10 times less often on a
    lossless layer, which reports drops). ``need_read=False``: the caller subscribed before anything
    could be stored, so the first read is skipped. ``poll``: re-read every ``poll`` seconds while idle
    (what the layer cannot carry: rows stored by another process)."""
    await consumer.subscribe(group)
    wait = consumer.heartbeat
    if poll is not None:
        wait, idle_reread = min(wait, poll), 1
    elif getattr(consumer.channel_layer, "lossless", False):
        idle_reread *= 10
    idle = 0
    while True:
        if need_read:
            rows, over, full = await read(last)
            chunk = [await emit(row) for _position, row in rows]
            if rows:
                last = rows[-1][0]
            await _write(consumer, chunk)
            if full:
                continue
            if over:
                return
            need_read = False
        message = await consumer.next_message(wait)
        if message is None:
            await consumer.idle()  # a keep-alive, when one is due
            idle += 1
            if idle >= idle_reread or not consumer.layer_ok:
                need_read, idle = True, 0
            continue
        if message["type"] == "stream.end" and last >= message.get("last_seq", float("inf")):
            return  # the run is over and we have sent its last event
        rows = from_message(message) if message["type"] == "stream.events" and not message.get("dropped") else None
        if not rows or rows[0][0] > last + 1:
            need_read = True
            continue
        chunk = []
        for position, row in rows:
            if position > last:
                chunk.append(await emit(row))
                last = position
        await _write(consumer, chunk)


async def _write(consumer, chunk):
    data = b"".join(chunk)
    if data:
        await consumer.write(data)


def _read_run(*, run_id, after, is_over):
    # The run's state is read first: once it is over, the rows read after it include every event.
    over = is_over(run_id=run_id)
    return over, selectors.read_run_events(run_id=run_id, after=after)


async def follow_run(consumer, *, run_id, is_over, after=None, modes=None, subscribed_new=False):
    """Send the run's frames after position ``after`` (None: only what comes from now on).

    ``is_over(run_id=...)``: whether the run has ended (the owner of runs knows; a sync function, run
    through ``db``). ``subscribed_new``: the consumer subscribed to the run's group before the run
    existed, or before reading that nothing after ``after`` was stored: the first read is skipped."""
    keep = _run_filter(modes)

    async def read(last):
        over, rows = await db(_read_run)(run_id=run_id, after=last, is_over=is_over)
        return [(row.seq, row) for row in rows], over, len(rows) >= selectors.READ_LIMIT

    def from_message(message):
        rows = message.get("rows")
        if not rows or rows[0][0] is None:
            return None
        return [(row.seq, row) for row in map(EventRow.from_message, rows)]

    async def emit(row):
        return sse.frame(row.event, row.data, row.seq) if keep(row.event) else b""

    last = after if after is not None else await db(selectors.last_run_seq)(run_id=run_id)
    await _pump(consumer, group=notify.run_group(run_id), last=last, read=read, from_message=from_message,
                emit=emit, need_read=not subscribed_new, poll=_poll(consumer))


def _poll(consumer):
    """A run may execute in another process (``manage.py worker``); on a layer that does not reach
    other processes its events arrive only by re-reading, every ``POLL_SECONDS`` while idle."""
    if getattr(consumer.channel_layer, "spans_processes", True):
        return None
    return agent_settings.POLL_SECONDS


def _thread_filter(modes):
    wanted = set(modes)

    def keep(seq, event):
        if seq is None:  # thread-level frame
            if event == "state_update":
                return "state_update" in wanted
            return bool(wanted & {"lifecycle", "run_modes"})  # run_done
        if event == "metadata":
            return bool(wanted & {"lifecycle", "run_modes"})
        return "run_modes" in wanted

    return keep


def thread_stream_emitter(consumer, modes):
    """The frames of GET /threads/{id}/stream: stored frames, filtered by the thread stream modes."""
    keep = _thread_filter(modes)

    async def emit(row):
        return sse.frame(row.event, row.data, row.thread_seq) if keep(row.seq, row.event) else b""

    return emit


async def follow_thread(consumer, *, thread_id, after, emit):
    """Send what ``emit(row: EventRow)`` makes of the thread's rows after ``after``,
    forever (the client closes the stream)."""

    async def read(last):
        rows = await db(selectors.read_thread_events)(thread_id=thread_id, after=last)
        return [(row.thread_seq, row) for row in rows], False, len(rows) >= selectors.READ_LIMIT

    def from_message(message):
        rows = message.get("rows")
        if not rows:
            return None
        return [(row.thread_seq, row) for row in map(EventRow.from_message, rows)]

    # Idle threads are many and long-lived: their safety re-read is every 6th heartbeat (30 s).
    await _pump(consumer, group=notify.thread_group(thread_id), last=after, read=read,
                from_message=from_message, emit=emit, idle_reread=6)


async def wait_run(consumer, *, run_id, is_over):
    """Block until ``is_over(run_id=...)``, writing newline keep-alives while waiting."""
    await consumer.subscribe(notify.run_group(run_id))
    while True:
        if await db(is_over)(run_id=run_id):
            return
        while True:
            due = consumer.last_write + consumer.heartbeat - asyncio.get_running_loop().time()
            due = min(due, _poll(consumer) or due)  # a run executed by another process: re-check
            message = await consumer.next_message(max(due, 0.01))
            await consumer.idle()  # the keep-alive is due every heartbeat, also while events flow
            if message is None:
                break
            if message["type"] != "stream.events" or message.get("dropped"):  # stream.end, resync: re-check
                break
