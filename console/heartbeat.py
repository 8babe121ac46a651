"""Heartbeat rows (``console.models.Worker``): every agentserver process that serves HTTP or executes
runs renews its row every ``AGENTSERVER_EXECUTOR_HEARTBEAT_SECONDS`` on the runtime loop, with how many runs it executes
and how many streams it has open. The admin lists them; ``/ok`` says when worker mode has no live
worker (runs would stay pending)."""
import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from django.utils import timezone

from agentserver import runtime
from agentserver.conf import agent_settings
from agentserver.db import db
from console.models import Worker, WorkerKind, heartbeat_seconds

logger = logging.getLogger(__name__)
# Rows of processes that stopped without saying so are kept this long (shown as not live), then removed.
FORGET_AFTER = timedelta(hours=1)


class Heartbeat:
    def __init__(self, *, kind, worker_id=None):
        self.kind = kind
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.started_at = timezone.now()
        self.serves = False  # set by on_server_starting: this process serves HTTP
        self.task = None
        self._failed = False

    def fields(self):
        from agentserver.api.consumers import StreamConsumer
        from runs.executor import get_executor

        executor = get_executor()
        return {
            "kind": self.kind, "host": socket.gethostname(), "pid": os.getpid(),
            "executes": executor is not None, "concurrency": executor.concurrency if executor else 0,
            "running": len(executor.running) if executor else 0,
            "streams": StreamConsumer.open_count if self.serves else 0,
        }

    def beat(self):
        now = timezone.now()
        Worker.objects.update_or_create(
            worker_id=self.worker_id, defaults={**self.fields(), "last_seen": now},
            create_defaults={**self.fields(), "last_seen": now, "started_at": self.started_at})
        Worker.objects.filter(last_seen__lt=now - FORGET_AFTER).delete()

    async def run(self):
        while True:
            try:
                await db(self.beat)()
                self._failed = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database is down or not migrated: retry
                if not self._failed:
                    logger.warning("worker heartbeat failed (%s: %s); retrying", type(exc).__name__, exc)
                self._failed = True
            await asyncio.sleep(heartbeat_seconds())

    def start(self):
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self):
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        try:
            await db(Worker.objects.filter(worker_id=self.worker_id).delete)()
        except Exception:  # noqa: BLE001 - the row goes stale instead
            pass


_current: Heartbeat | None = None


def current():
    return _current


async def _ensure(kind, worker_id=None, *, serves=False):
    global _current
    if _current is None:
        _current = Heartbeat(kind=kind, worker_id=worker_id)
        _current.start()
    if serves:
        _current.serves = True
        _current.kind = WorkerKind.SERVER
    return _current


def on_server_starting(sender, **kwargs):
    """Every server process (runserver, daphne, uvicorn) records itself, executor or not."""
    runtime.call(_ensure(WorkerKind.SERVER, serves=True), timeout=10)


async def on_executor_started(sender, executor, **kwargs):
    if executor.only_run_ids is not None:  # manage.py run: a one-off, not a worker
        return
    await _ensure(getattr(executor, "kind", WorkerKind.WORKER), executor.worker_id)


async def on_executor_stopped(sender, executor, **kwargs):
    global _current
    heartbeat = _current
    if heartbeat is None or executor.only_run_ids is not None:
        return
    if heartbeat.serves:  # the server goes on serving: its row says it no longer executes
        return
    _current = None
    await heartbeat.stop()


def workers_note():
    """For GET /ok: live executing processes, and a warning when worker mode has none."""
    live = list(Worker.objects.live().executing().values_list("worker_id", flat=True))
    note = {"live": len(live)}
    if agent_settings.EXECUTOR == "worker" and not live:
        note["detail"] = ("AGENTSERVER_EXECUTOR=worker and no live worker: runs stay pending until a "
                          "`manage.py worker` process is started")
    return note
