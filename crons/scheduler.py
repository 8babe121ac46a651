"""The cron scheduler: fires each due cron exactly once across all processes.

Every process with a run executor (embedded servers, ``manage.py worker``) polls for due crons every
``CRON_POLL_SECONDS``. Firing is a compare-and-set on the cron's ``next_run_date`` in the same
transaction as the run it creates, so exactly one process wins a tick and a crash leaves either
both (claim and run) or neither. The next run is computed from *now*: a cron that was due many
times while everything was down fires once at start-up, not once per missed tick.

A cron made by an authenticated user fires its runs as that user: ``config.configurable`` holds
``langgraph_auth_user`` (and ``_id``, ``_permissions``) as stored at creation (``Cron.auth``), its
metadata has the stamp of the creator's ``threads.create_run`` authorization over the payload's (a
PATCH cannot change it), and a stateless run's new thread gets the run's metadata. The handlers are
not asked again at firing.
"""
import asyncio
import logging

from django.db import transaction
from django.utils import timezone

from agentserver import runtime
from agentserver.api import access
from agentserver.api.exceptions import ServiceError
from agentserver.conf import agent_settings
from agentserver.db import db
from crons.models import Cron
from crons.services import compute_next

logger = logging.getLogger(__name__)
_task = None


def _run_payload(cron, tick):
    payload = dict(cron.payload)
    payload["metadata"] = {**(payload.get("metadata") or {}), "cron_id": str(cron.cron_id),
                           "cron_tick": tick.isoformat()}
    if cron.thread_id is None:
        payload["on_completion"] = cron.on_run_completed or "delete"
    if cron.auth:  # the run carries the user who created the cron, as one they created would
        payload["metadata"].update(cron.auth.get("run_metadata") or {})
        payload = access.with_user(payload, cron.auth.get("user") or {})
    return payload


def fire_one(*, cron_id, expected, now):
    """Claim the tick ``expected`` of the cron and create its run. Returns the run, or None when
    another process claimed it first (or the tick is past the cron's end time)."""
    from runs.services import create_run

    with transaction.atomic():
        cron = Cron.objects.filter(pk=cron_id, enabled=True, next_run_date=expected).first()
        if cron is None:
            return None
        try:
            nxt = compute_next(schedule=cron.schedule, timezone_name=cron.timezone, end_time=cron.end_time, after=now)
        except ServiceError:
            nxt = None  # a schedule made invalid behind the API's back: stop it
        if not Cron.objects.claim(cron_id=cron_id, expected=expected, next_run_date=nxt, now=now):
            return None
        if cron.end_time is not None and expected > cron.end_time:
            return None
        try:
            with transaction.atomic():
                payload = _run_payload(cron, expected)
                stamp = payload.get("metadata") if cron.auth else None  # a new thread is the user's too
                run = create_run(payload=payload, thread_id=cron.thread_id, thread_metadata=stamp)
        except ServiceError as exc:  # e.g. multitask "reject" on a busy thread: this tick is skipped
            logger.info("cron %s skipped its %s run: %s", cron_id, expected.isoformat(), exc.detail)
            return None
        Cron.objects.filter(pk=cron_id).update(last_run_id=run.run_id)
    return run


def fire_due(*, now=None, limit=100):
    """Fire every cron due at ``now`` (default: the current time). Returns the runs created."""
    now = now or timezone.now()
    due = list(Cron.objects.due(now).order_by("next_run_date").values_list("cron_id", "next_run_date")[:limit])
    runs = []
    for cron_id, expected in due:
        try:
            run = fire_one(cron_id=cron_id, expected=expected, now=now)
        except Exception:  # noqa: BLE001 - one broken cron must not stop the others
            logger.exception("cron %s failed to fire", cron_id)
            continue
        if run is not None:
            runs.append(run)
    return runs


async def _loop():
    while True:
        try:
            await db(fire_due)()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - database briefly unavailable: next tick
            logger.warning("cron scheduler tick failed", exc_info=True)
        await asyncio.sleep(agent_settings.CRON_POLL_SECONDS)


async def _start():
    global _task
    if _task is None or _task.done():
        _task = asyncio.get_running_loop().create_task(_loop())
        logger.info("cron scheduler started (every %ss)", agent_settings.CRON_POLL_SECONDS)


def start_on_executor(sender=None, **kwargs):
    """Receiver of ``executor_started``: run the scheduler on the runtime loop."""
    if agent_settings.CRON_SCHEDULER:
        runtime.call(_start())
