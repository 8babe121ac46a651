"""Run a graph for a protocol adapter (MCP, A2A) and wait for its output.

Runs are created through ``runs.services.create_run`` exactly as ``POST /runs/wait`` creates them,
executed by whichever executor claims them (this process or a worker), and waited for on the
channel layer with the database as the source of truth (``streaming.follow.wait_run``).
"""
import asyncio

from channels.layers import get_channel_layer

from agentserver.conf import agent_settings
from agentserver.db import db
from agentserver.ids import uuid7
from runs import lifecycle, selectors, services
from streaming import follow, notify
from streaming import selectors as log_selectors


class RunListener:
    """The part of a stream consumer that ``follow.wait_run`` uses: a channel and its groups."""

    def __init__(self):
        self.channel_layer = get_channel_layer()
        self.channel_name = None
        self.layer_ok = True
        self._groups = []
        self.last_write = 0.0  # (wait_run's keep-alive clock: this listener has no response to keep alive)

    @property
    def heartbeat(self):
        return agent_settings.HEARTBEAT_SECONDS

    async def subscribe(self, group):
        self.last_write = asyncio.get_running_loop().time()
        if self.channel_name is None:
            self.channel_name = await self.channel_layer.new_channel()
        self._groups.append(group)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:  # noqa: BLE001 - the layer is down: wait_run polls the database
            self.layer_ok = False

    async def next_message(self, timeout):
        if not self.layer_ok:
            await asyncio.sleep(min(timeout, 0.25))
            return None
        try:
            async with asyncio.timeout(timeout):
                return await self.channel_layer.receive(self.channel_name)
        except TimeoutError:
            return None
        except Exception:  # noqa: BLE001
            self.layer_ok = False
            return None

    async def idle(self):
        """Nothing to keep alive (the caller's response is not open yet): only the clock moves."""
        self.last_write = asyncio.get_running_loop().time()

    async def close(self):
        for group in self._groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # noqa: BLE001
                pass
        discard = getattr(self.channel_layer, "discard_channel", None)
        if discard is not None and self.channel_name is not None:
            discard(self.channel_name)


async def wait_for_run(*, run_id):
    """Block until the run is over; returns ``(status, output)`` (output: final values or
    ``{"__error__": {...}}``), or ``(None, None)`` when the run no longer exists."""
    listener = RunListener()
    try:
        await follow.wait_run(listener, run_id=run_id, is_over=selectors.run_is_over)
    finally:
        await listener.close()
    result = await db(selectors.run_output)(run_id=run_id)
    return result if result else (None, None)


async def run_events(*, run_id):
    """Yield the run's stored events ``(event, data JSON text)`` from the first one until the run is
    over; every wake-up on the channel layer (or a heartbeat's time without one) re-reads the DB."""
    listener = RunListener()
    await listener.subscribe(notify.run_group(run_id))
    last = 0
    try:
        while True:
            status = await db(selectors.run_status)(run_id=run_id)  # first: once final, the rows are complete
            rows = await db(log_selectors.read_run_events)(run_id=run_id, after=last)
            for row in rows:
                last = row.seq
                yield row.event, row.data
            if len(rows) >= log_selectors.READ_LIMIT:
                continue
            if selectors.is_over(status):
                return
            await listener.next_message(listener.heartbeat)
    finally:
        await listener.close()


async def start_run(*, payload, thread_id=None):
    """Create the run (stateless when ``thread_id`` is None; the caller then calls ``release``)."""
    payload = dict(payload)
    if thread_id is None:
        payload["attached"] = True
    return await db(services.create_run)(payload=payload, thread_id=thread_id, run_id=uuid7())


async def release(run):
    """Delete a stateless run's temporary thread (and its checkpoints) once the run is over."""
    await lifecycle.settle_stateless_run(run_id=run.run_id, thread_id=run.thread_id, detach=True)


async def run_and_wait(*, payload, thread_id=None):
    """Create a run, wait for it and return ``(run, status, output)``. A stateless run's thread is
    released afterwards, also when the caller goes away while waiting."""
    run = await start_run(payload=payload, thread_id=thread_id)
    try:
        status, output = await wait_for_run(run_id=run.run_id)
    finally:
        if thread_id is None:
            await asyncio.shield(release(run))
    return run, status, output


def error_of(output):
    """``{"error": ..., "message": ...}`` of a failed run's output, else None."""
    if isinstance(output, dict) and isinstance(output.get("__error__"), dict):
        return output["__error__"]
    return None
