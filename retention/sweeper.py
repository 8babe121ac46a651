"""The thread-TTL sweeper: deletes expired threads with their runs, events and checkpoints.

A thread expires when it has not been updated for its TTL: its own (``ttl`` on create/update) or
``checkpointer.ttl.default_ttl`` from langgraph.json. Threads with a pending or running run are
skipped (their run updates them anyway), so a sweep never interrupts live work. Every process with
an executor sweeps every ``checkpointer.ttl.sweep_interval_minutes`` (default ``SWEEP_SECONDS``);
two sweepers deleting the same thread is harmless.
"""
import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from agentserver import lgconfig, runtime
from agentserver.conf import agent_settings
from agentserver.db import db
from retention.models import ThreadTTL
from runs.models import Run
from threads.models import Thread

logger = logging.getLogger(__name__)
BATCH_SIZE = 100
MAX_PER_SWEEP = 1000
_task = None


@dataclass
class SweepReport:
    deleted: int = 0
    pruned: int = 0


def _idle(qs):
    return qs.exclude(pk__in=Run.objects.active().values("thread_id"))


def expired_threads(*, now):
    """[(strategy, [thread ids])] of threads whose TTL has passed, idle ones only."""
    groups = []
    for strategy, minutes in ThreadTTL.objects.policies():
        qs = Thread.objects.filter(ttl_policy__strategy=strategy, ttl_policy__ttl_minutes=minutes,
                                   updated_at__lt=now - timedelta(minutes=minutes))
        groups.append((strategy, qs))
    defaults = lgconfig.checkpointer_ttl()
    if defaults["default_ttl"]:
        cutoff = now - timedelta(minutes=defaults["default_ttl"])
        groups.append((defaults["strategy"], Thread.objects.filter(ttl_policy__isnull=True, updated_at__lt=cutoff)))
    return [(strategy, list(_idle(qs).values_list("pk", flat=True)[:MAX_PER_SWEEP])) for strategy, qs in groups]


def sweep(*, now=None):
    """One sweep. Returns a SweepReport."""
    from threads.services import prune_threads

    report = SweepReport()
    for strategy, thread_ids in expired_threads(now=now or timezone.now()):
        for start in range(0, len(thread_ids), BATCH_SIZE):
            batch = thread_ids[start:start + BATCH_SIZE]
            count = prune_threads(thread_ids=batch, strategy=strategy)
            if strategy == "delete":
                report.deleted += count
            else:
                report.pruned += count
                # pruned threads keep their TTL but are not pruned again until they change
                Thread.objects.filter(pk__in=batch).update(updated_at=timezone.now())
    if report.deleted or report.pruned:
        logger.info("thread TTL sweep: %s deleted, %s pruned to their latest checkpoint", report.deleted,
                    report.pruned)
    return report


def interval_seconds():
    minutes = lgconfig.checkpointer_ttl()["sweep_interval_minutes"]
    return minutes * 60 if minutes else agent_settings.SWEEP_SECONDS


def _sweep_in_thread():
    # prune_threads calls into the runtime loop (checkpoints): run it off that loop
    return sweep()


async def _loop():
    while True:
        await asyncio.sleep(interval_seconds())
        try:
            await db(_sweep_in_thread)()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - next sweep
            logger.warning("thread TTL sweep failed", exc_info=True)


async def _start():
    global _task
    if _task is None or _task.done():
        _task = asyncio.get_running_loop().create_task(_loop())


def start_on_executor(sender=None, **kwargs):
    """Receiver of ``executor_started`` (a malformed ``checkpointer.ttl`` stops start-up here)."""
    lgconfig.checkpointer_ttl()
    runtime.call(_start())
