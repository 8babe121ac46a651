"""Executor heartbeats, so /metrics counts workers across processes and machines.

Every process runs one daemon thread that waits for this process's run executor to exist (the
embedded one of a server, or the one of ``manage.py worker``; not the short-lived one of
``manage.py run``) and then upserts its ``ExecutorBeat`` row every ``EXECUTOR_HEARTBEAT_SECONDS``.
An executor whose row is older than three intervals is gone.
"""
import atexit
import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.db import close_old_connections, connection
from django.db.models import Count, Sum
from django.utils import timezone

from agentserver.conf import agent_settings

logger = logging.getLogger(__name__)
_started = threading.Event()


def _this_executor():
    from runs.executor import get_executor

    executor = get_executor()
    if executor is None or executor.only_run_ids is not None:
        return None
    return executor


def beat(*, executor, started_at):
    from interop.models import ExecutorBeat

    now = timezone.now()
    ExecutorBeat.objects.filter(seen_at__lt=now - timedelta(hours=1)).delete()  # killed executors' rows
    ExecutorBeat.objects.update_or_create(worker_id=executor.worker_id, defaults={
        "hostname": socket.gethostname(), "pid": os.getpid(), "concurrency": executor.concurrency,
        "running": 0 if executor._stopping else len(executor.running), "started_at": started_at, "seen_at": now})


def forget(*, worker_id):
    from interop.models import ExecutorBeat

    ExecutorBeat.objects.filter(worker_id=worker_id).delete()


def live_executors(*, now=None):
    """``{"executors", "concurrency", "running"}`` over the executors seen lately."""
    from interop.models import ExecutorBeat

    now = now or timezone.now()
    since = now - timedelta(seconds=3 * max(agent_settings.EXECUTOR_HEARTBEAT_SECONDS, 0.1))
    totals = ExecutorBeat.objects.filter(seen_at__gte=since).aggregate(
        executors=Count("pk"), concurrency=Sum("concurrency"), running=Sum("running"))
    return {key: value or 0 for key, value in totals.items()}


def _guarded(fn, **kwargs):
    try:
        close_old_connections()
        fn(**kwargs)
    except Exception:  # noqa: BLE001 - the database is down or not migrated yet: try again later
        logger.debug("executor heartbeat failed", exc_info=True)
    finally:
        connection.close()


def _loop(interval):
    executor = None
    while executor is None:
        time.sleep(0.5)
        executor = _this_executor()
    started_at = timezone.now()
    atexit.register(lambda: _guarded(forget, worker_id=executor.worker_id))
    while not executor._stopping:
        _guarded(beat, executor=executor, started_at=started_at)
        time.sleep(interval)
    _guarded(forget, worker_id=executor.worker_id)  # shut down: no longer a worker


def start_heartbeat():
    """Start this process's heartbeat thread (idempotent; off when the interval is 0)."""
    interval = agent_settings.EXECUTOR_HEARTBEAT_SECONDS
    if interval <= 0 or _started.is_set():
        return
    _started.set()
    threading.Thread(target=_loop, args=(interval,), name="agentserver-executor-beat", daemon=True).start()
