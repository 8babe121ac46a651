"""The run executor: claims pending runs from the database and executes them on this process.

In the embedded default it runs inside the server process (on the runtime loop); ``manage.py worker``
runs the same executor in a worker process. Wake-ups and cancels arrive on the channel layer; a
fallback poll, lease renewal and DB cancel flags make dropped messages harmless.
"""
import asyncio
import logging
import os
import socket
import threading
import uuid

from channels.layers import get_channel_layer

from agentserver import persistence
from agentserver.conf import agent_settings
from agentserver.db import db
from agentserver.graphs import registry
from runs import execution, lifecycle, signals, wakeups, webhooks
from runs.claimed import ClaimedRun
from runs.models import CancelAction, RunStatus
from streaming import notify

logger = logging.getLogger(__name__)


_db = db


class Control:
    """Per-run handle: the task executing the graph and why it is being cancelled."""

    def __init__(self):
        self.task = None
        self.cancel_action = ""

    def cancel(self, action):
        if not self.cancel_action:
            self.cancel_action = action
        if self.task is not None and not self.task.done():
            self.task.cancel()


class Executor:
    def __init__(self, *, concurrency=None, worker_id=None, only_run_ids=None, kind="server"):
        # only_run_ids: a short-lived executor (manage.py run) that must not take other runs.
        self.only_run_ids = set(only_run_ids) if only_run_ids else None
        self.kind = kind  # "server" (embedded in a server process) or "worker" (manage.py worker)
        self._hurry = False
        self.concurrency = concurrency or agent_settings.WORKER_CONCURRENCY
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.running = {}
        self._wake = asyncio.Event()
        self._scan = True  # the next round scans the pending runs (not only the created ones)
        self._created = []  # ClaimedRuns of runs this process just created, to claim directly
        # Whether a pending run may be waiting for a thread to be free (a run was created without a
        # handover, e.g. queued behind a busy thread, or handovers were dropped at capacity): then the
        # end of each run here scans the pending runs. Cleared by a scan while nothing runs here.
        self._may_be_blocked = True
        self._stopping = False
        self._stopped = False
        self._tasks = []
        # Slots taken by runs that create_run claims in their creating transaction (reserve()):
        # counted from the reservation until the run starts here (or the transaction fails).
        self._reserved = 0
        self._reserve_lock = threading.Lock()
        self.loop = None  # the runtime loop, once started

    def wake(self, created=None):
        """Claim soon: ``created`` (a ClaimedRun handed over by create_run), else whatever is pending."""
        if created is None:
            self._scan = self._may_be_blocked = True
        elif self.only_run_ids is None or created.run_id in self.only_run_ids:
            self._created.append(created)
        self._wake.set()

    def reserve(self, graph_id) -> bool:
        """Take a slot for a run about to be created already claimed by this executor (any thread).
        False when none is free, runs handed over are waiting, or the executor does not take it."""
        if (self.loop is None or self._stopping or self.only_run_ids is not None or self._created
                or graph_id not in registry.specs):
            return False
        with self._reserve_lock:
            if len(self.running) + self._reserved >= self.concurrency:
                return False
            self._reserved += 1
        return True

    def unreserve(self):
        """Give back a slot of ``reserve()`` whose run was not created (any thread)."""
        with self._reserve_lock:
            self._reserved -= 1
        self.loop.call_soon_threadsafe(self._wake.set)

    def start_reserved_threadsafe(self, run: ClaimedRun):
        """Execute a run created already claimed in a reserved slot (after its transaction committed)."""
        self.loop.call_soon_threadsafe(self._start_reserved, run)

    def _start_reserved(self, run: ClaimedRun):
        with self._reserve_lock:
            self._reserved -= 1
        if self._stopped:  # shut down meanwhile: another executor takes it
            self.loop.create_task(self._hand_back([run.run_id]))
            return
        self._start(run)

    async def _hand_back(self, run_ids):
        await _db(lifecycle.hand_back)(run_ids=run_ids, worker_id=self.worker_id)
        await wakeups.aworkers({"type": "run.wakeup"})

    def deliver_threadsafe(self, message):
        """A wake-up or cancel from this process, handled without a channel-layer round trip."""
        self.loop.call_soon_threadsafe(self.handle, message)

    def handle(self, message):
        if message.get("dropped"):  # the layer lost a message for us: scan (cancels: the lease loop)
            self.wake()
        if message.get("type") == "run.wakeup":
            self.wake(message.get("created"))
        elif message.get("type") == "run.cancel":
            self.cancel_local(message.get("run_id"), message.get("action") or CancelAction.INTERRUPT)

    async def start(self):
        await persistence.get_checkpointer()
        self.loop = asyncio.get_running_loop()
        layer = get_channel_layer()
        self.channel = await layer.new_channel()
        await layer.group_add(wakeups.WORKERS_GROUP, self.channel)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(coro) for coro in (self._listen(layer), self._claim_loop(), self._lease_loop())]
        self.wake()
        logger.info("executor %s started (concurrency %s)", self.worker_id, self.concurrency)
        await signals.executor_started.asend(sender=Executor, executor=self)

    async def _listen(self, layer):
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the layer is down; the poll keeps us going
                logger.warning("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message.get("delivered_to") != self.worker_id:  # else already handled directly
                self.handle(message)

    def cancel_local(self, run_id, action):
        control = self.running.get(str(run_id))
        if control is not None:
            control.cancel(action)

    async def _claim_loop(self):
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=agent_settings.POLL_SECONDS)
            except TimeoutError:
                self._scan = True
            self._wake.clear()
            free = self.concurrency - len(self.running) - self._reserved
            if free <= 0 or self._stopping:
                # At capacity, handed-over runs wait here for a free slot (a run's end wakes the loop);
                # a backlog this long, or a stopping executor, leaves them to the scans.
                if self._created and (self._stopping or len(self._created) > 4 * self.concurrency):
                    self._created.clear()
                    self._scan = self._may_be_blocked = True
                continue
            created, self._created = self._created[:free], self._created[free:]
            scan, self._scan = self._scan, False
            if not created and not scan:  # a slot freed with nothing waiting for it
                continue
            if scan and not self.running:
                self._may_be_blocked = False
            try:
                claimed = await _db(lifecycle.claim_runs)(
                    worker_id=self.worker_id, limit=free, run_ids=self.only_run_ids, created=created, scan=scan,
                    graph_ids=registry.graph_ids())
            except Exception:  # noqa: BLE001 - database briefly unavailable: try again later
                logger.warning("claiming runs failed", exc_info=True)
                self._scan = True
                await asyncio.sleep(1)
                continue
            for run in claimed:
                self._start(run)
            if scan and len(claimed) == free:  # the scan may have left pending runs: scan again
                self.wake()
            elif self._created:
                self._wake.set()

    def _start(self, run: ClaimedRun):
        loop = asyncio.get_running_loop()
        if run.metadata_rows:
            loop.create_task(notify.aevents_stored(thread_id=run.thread_id, run_id=run.run_id, rows=run.metadata_rows))
        control = Control()
        if run.cancel_action:
            control.cancel_action = run.cancel_action
        self.running[str(run.run_id)] = control
        asyncio.get_running_loop().create_task(self._execute(run, control))

    async def _execute(self, run: ClaimedRun, control: Control):
        try:
            outcome = await execution.execute(run, control=control)
            if outcome.cancel_action != execution.SHUTDOWN:
                await self._after(run)
        except Exception:  # noqa: BLE001 - never let one run take the executor down
            logger.exception("run %s failed in the executor", run.run_id)
        finally:
            self.running.pop(str(run.run_id), None)
            self._scan = self._scan or self._may_be_blocked
            self._wake.set()

    async def _after(self, run: ClaimedRun):
        if run.temporary:
            await lifecycle.settle_stateless_run(run_id=run.run_id, thread_id=run.thread_id)
        if run.kwargs.get("webhook"):
            asyncio.get_running_loop().create_task(webhooks.deliver(run))

    async def _lease_loop(self):
        ticks = 0
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            try:
                flagged = await _db(lifecycle.renew_leases)(worker_id=self.worker_id, run_ids=list(self.running))
                for run_id, action in flagged.items():
                    self.cancel_local(run_id, action)
                # Every second (one indexed query): a lost run is retried about a second after its
                # lease expires, not up to LEASE_SECONDS / 3 later.
                if self.only_run_ids is None:
                    retried, failed = await _db(lifecycle.recover_expired)(worker_id=self.worker_id)
                    for run_id, thread_id in failed:
                        await notify.arun_finished(thread_id=thread_id, run_id=run_id, status=RunStatus.ERROR)
                    if retried:
                        self.wake()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                logger.warning("lease renewal failed", exc_info=True)

    async def shutdown(self, *, grace=None):
        """Stop claiming; let running runs finish within ``grace`` seconds, then hand them back."""
        self._stopping = True
        grace = agent_settings.SHUTDOWN_GRACE_SECONDS if grace is None else grace
        deadline = asyncio.get_running_loop().time() + grace
        while (self.running or self._reserved) and asyncio.get_running_loop().time() < deadline and not self._hurry:
            await asyncio.sleep(0.1)
        leftover = list(self.running)
        for run_id in leftover:
            self.cancel_local(run_id, execution.SHUTDOWN)
        while self.running:
            await asyncio.sleep(0.05)
        if leftover:
            await self._hand_back(leftover)
        for task in self._tasks:
            task.cancel()
        self._stopped = True
        await signals.executor_stopped.asend(sender=Executor, executor=self)
        return leftover

    def hurry(self):
        """End the shutdown's grace period now (a second Ctrl-C): running runs are handed back."""
        self._hurry = True


_executor = None


async def start_executor(**kwargs):
    """Start this process's executor on the current (runtime) loop; idempotent."""
    global _executor
    if _executor is None:
        _executor = Executor(**kwargs)
        await _executor.start()
    return _executor


def get_executor():
    return _executor


async def stop_executor(*, grace=None):
    """Stop this process's executor (its unfinished runs go back to the queue); idempotent."""
    global _executor
    executor, _executor = _executor, None
    if executor is not None and not executor._stopping:
        await executor.shutdown(grace=grace)
