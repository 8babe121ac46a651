"""Executor wake-ups and instructions on the channel layer (hints: executors also poll the DB)."""
from channels.layers import get_channel_layer

from streaming.notify import never_raise, send_sync

WORKERS_GROUP = "agentserver.workers"


@never_raise
async def aworkers(message):
    """Tell every executor: {"type": "run.wakeup"} or {"type": "run.cancel", "run_id", "action"}."""
    await get_channel_layer().group_send(WORKERS_GROUP, message)


def workers(message, *, local=None):
    """Wake or instruct every executor. The one in this process (if any) is told directly, with what
    ``local()`` returns added (in-process objects, built only then), and ignores the layer's copy."""
    from runs.executor import get_executor

    executor = get_executor()
    if executor is not None:
        executor.deliver_threadsafe({**message, **(local() if local else {})})
        message = {**message, "delivered_to": executor.worker_id}
    send_sync(aworkers(message))
