"""Concurrent joins of one run share one database round trip.

A join (``GET .../runs/{id}/stream``) subscribes to the run's group, then reads the run, whether it
is the first observer, its last seq and whether it is over (``runs.services.attach``). When many
clients join the same run at once (a UI fanning out, a reconnect storm), each read would be a thread
hop of its own, queued behind the others. Here the joins that arrive while no read of that run has
begun wait for the same one: every one of them subscribed before that read started (a join that
arrives once it has started waits for the next read), so what was stored after the read reaches
each of them through the channel layer, as with a read of its own. One of them, the first, gets the
read's ``first`` (only one client can be the run's first observer).
"""
import asyncio
import json

from agentserver.db import db
from runs import services


class _Read:
    def __init__(self):
        self.started = False  # set by the reading thread as it begins: later joins need a new read
        self.future = asyncio.get_running_loop().create_future()
        self.members = 0


_reads: dict = {}


def _read(read, **kwargs):
    read.started = True
    return services.attach(**kwargs)


async def _perform(key, read, kwargs):
    try:
        result = await db(_read)(read, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every member of the read gets it
        read.future.set_exception(exc)
    else:
        read.future.set_result(result)
    finally:
        if _reads.get(key) is read:
            del _reads[key]


async def attach(*, thread_id, run_id, filters=None) -> dict | None:
    """``runs.services.attach`` for a join that has subscribed to the run's group."""
    key = (thread_id, run_id, json.dumps(filters, sort_keys=True, default=str))
    read = _reads.get(key)
    if read is None or read.started:
        read = _reads[key] = _Read()
        asyncio.ensure_future(_perform(key, read, {"thread_id": thread_id, "run_id": run_id, "filters": filters}))
    read.members += 1
    first_member = read.members == 1
    result = await asyncio.shield(read.future)
    if result is not None and not first_member:
        result = {**result, "first": False}
    return result
