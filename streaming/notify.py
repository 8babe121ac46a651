"""Wake-ups on the channel layer. Messages are hints: listeners always read events from the DB.

Sending never raises: when the layer is down (Redis restarting), listeners and executors fall back to
polling the database, so a lost hint costs latency only.
"""
import functools
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from agentserver.conf import agent_settings


def run_group(run_id):
    return f"agentserver.run.{run_id}"


def thread_group(thread_id):
    return f"agentserver.thread.{thread_id}"


logger = logging.getLogger(__name__)


def never_raise(fn):
    @functools.wraps(fn)
    async def inner(*args, **kwargs):
        try:
            await fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            logger.warning("channel layer send failed (%s); listeners will poll the database", exc)

    return inner


def _payload(rows):
    size = sum(len(row.data) for row in rows)
    # the rows as they are (tuples: the in-process layer hands this very list to every listener;
    # Redis carries each as an array)
    return list(rows) if size <= agent_settings.MAX_NOTIFY_BYTES else None


def build_event_messages(*, thread_id, run_id, rows):
    rows_payload = _payload(rows)
    message = {"type": "stream.events", "run_id": str(run_id) if run_id else None, "rows": rows_payload}
    if rows:
        message["last_seq"] = rows[-1].seq
        message["last_thread_seq"] = rows[-1].thread_seq
    targets = [thread_group(thread_id)]
    if run_id is not None:
        targets.append(run_group(run_id))
    return targets, message


@never_raise
async def aevents_stored(*, thread_id, run_id, rows):
    layer = get_channel_layer()
    targets, message = build_event_messages(thread_id=thread_id, run_id=run_id, rows=rows)
    for group in targets:
        await layer.group_send(group, message)


def events_stored(*, thread_id, run_id, rows):
    send_sync(aevents_stored(thread_id=thread_id, run_id=run_id, rows=rows))


@never_raise
async def arun_finished(*, thread_id, run_id, status, last_seq=None):
    """The run is over; ``last_seq``: its last event, so a listener that has it needs no DB read."""
    layer = get_channel_layer()
    message = {"type": "stream.end", "run_id": str(run_id), "status": status}
    if last_seq is not None:
        message["last_seq"] = last_seq
    await layer.group_send(run_group(run_id), message)


def send_sync(coro):
    """Send from sync code: on the runtime loop when one runs, else through async_to_sync."""
    from agentserver import runtime

    try:
        runtime.spawn(coro)
    except RuntimeError:
        async_to_sync(lambda: coro)()


def run_finished(*, run_id, status):
    send_sync(arun_finished(thread_id=None, run_id=run_id, status=status))
