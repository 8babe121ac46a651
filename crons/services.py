"""Writes of crons: create (on a thread or stateless), patch, enable/disable, delete."""
from django.db import transaction
from django.utils import timezone

from agentserver.api.exceptions import InvalidInput, NotFound
from assistants.selectors import resolve_assistant
from crons import schedule as cron_schedule
from crons.models import Cron
from threads.models import Thread

RECOMPUTE_KEYS = ("schedule", "timezone", "end_time", "enabled")


def compute_next(*, schedule, timezone_name, end_time, after):
    """The next firing after ``after``, or None when it would be past ``end_time``."""
    try:
        nxt = cron_schedule.next_after(schedule, timezone_name, after=after)
    except cron_schedule.ScheduleError as exc:
        raise InvalidInput(f"schedule: {exc}") from None
    if end_time is not None and nxt > end_time:
        return None
    return nxt


def create_cron(*, fields, payload, thread_id=None, thread_filters=None, auth=None):
    """A cron firing ``payload`` on ``thread_id``, or (stateless) each time on a new thread.
    ``thread_filters``: the caller's authorization of the thread (a thread they cannot see is as
    missing); ``auth``: the caller and their runs' stamp (``Cron.auth``), which the cron's runs carry."""
    assistant = resolve_assistant(assistant_id=payload["assistant_id"], missing_detail="Assistant not found")
    if thread_id is not None and not Thread.objects.visible(thread_filters).filter(pk=thread_id).exists():
        raise NotFound(f"Thread {thread_id} not found")
    enabled = fields.get("enabled", True)
    next_run = compute_next(schedule=fields["schedule"], timezone_name=fields.get("timezone"),
                            end_time=fields.get("end_time"), after=timezone.now())
    on_completed = None if thread_id is not None else (fields.get("on_run_completed") or "delete")
    return Cron.objects.create(
        assistant_id=assistant.assistant_id, thread_id=thread_id, schedule=fields["schedule"],
        timezone=fields.get("timezone"), end_time=fields.get("end_time"), payload=payload,
        metadata=fields.get("metadata") or {}, on_run_completed=on_completed, enabled=enabled,
        next_run_date=next_run, auth=auth, user_id=((auth or {}).get("user") or {}).get("identity"),
    )


def _apply(cron, fields, payload):
    for key in ("schedule", "timezone", "enabled"):
        if key in fields:
            setattr(cron, key, fields[key])
    if "end_time" in fields:
        cron.end_time = fields["end_time"]
    if "on_run_completed" in fields and cron.thread_id is None and fields["on_run_completed"]:
        cron.on_run_completed = fields["on_run_completed"]
    if fields.get("metadata"):
        cron.metadata = {**cron.metadata, **fields["metadata"]}
    merged = {**cron.payload, **payload}
    if payload.get("metadata"):
        merged["metadata"] = {**(cron.payload.get("metadata") or {}), **payload["metadata"]}
    cron.payload = merged


def update_cron(*, cron_id, fields, payload, filters=None):
    """Patch the cron; a new schedule, timezone, end time or re-enabling recomputes its next run
    from now (missed ticks are not caught up)."""
    with transaction.atomic():
        cron = Cron.objects.visible(filters).select_for_update().filter(pk=cron_id).first()
        if cron is None:
            raise NotFound(f"Cron {cron_id} not found")
        _apply(cron, fields, payload)
        if any(key in fields for key in RECOMPUTE_KEYS):
            cron.next_run_date = compute_next(schedule=cron.schedule, timezone_name=cron.timezone,
                                              end_time=cron.end_time, after=timezone.now())
        cron.save()
    return cron


def set_enabled(*, cron_id, enabled):
    return update_cron(cron_id=cron_id, fields={"enabled": enabled}, payload={})


def delete_cron(*, cron_id, filters=None):
    deleted, _ = Cron.objects.visible(filters).filter(pk=cron_id).delete()
    if not deleted:
        raise NotFound(f"Cron {cron_id} not found")
