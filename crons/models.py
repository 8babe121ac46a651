from django.db import models
from django.db.models import Q

from agentserver.ids import uuid7
from agentserver.jsonfilters import access_q, json_contains


class CronQuerySet(models.QuerySet):
    def due(self, now):
        """Enabled crons whose next run is at or before ``now``."""
        return self.filter(enabled=True, next_run_date__isnull=False, next_run_date__lte=now)

    def claim(self, *, cron_id, expected, next_run_date, now):
        """Compare-and-set: move the cron from ``expected`` to ``next_run_date``. Exactly one caller
        (in any process) gets 1 for a given tick; the others get 0."""
        return self.filter(pk=cron_id, enabled=True, next_run_date=expected).update(
            next_run_date=next_run_date, last_run_date=now, updated_at=now,
        )

    def visible(self, filters):
        """The crons an authorization filter (``agentserver.api.access``) lets through."""
        return self.filter(access_q("metadata", filters)) if filters else self

    def metadata_contains(self, metadata):
        return self.filter(*json_contains("metadata", metadata)) if metadata else self

    def matching(self, *, assistant_id=None, thread_id=None, enabled=None, metadata=None):
        qs = self.metadata_contains(metadata)
        if assistant_id is not None:
            qs = qs.filter(assistant_id=assistant_id)
        if thread_id is not None:
            qs = qs.filter(thread_id=thread_id)
        if enabled is not None:
            qs = qs.filter(enabled=enabled)
        return qs

    def expired(self, now):
        return self.filter(Q(end_time__isnull=False) & Q(end_time__lt=now))


class Cron(models.Model):
    """A schedule of runs: on its thread, or (stateless) each on a new thread."""

    cron_id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    assistant_id = models.UUIDField(db_index=True)
    thread = models.ForeignKey("threads.Thread", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="crons")
    schedule = models.CharField(max_length=255)
    timezone = models.CharField(max_length=64, null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    # The run-create body every firing uses (assistant_id, input, config, context, webhook, ...).
    payload = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    on_run_completed = models.CharField(max_length=8, null=True, blank=True)
    enabled = models.BooleanField(default=True)
    user_id = models.CharField(max_length=255, null=True, blank=True)
    # With auth on: {"user": the creator (JSON, ``access.stored_user``), "run_metadata": what the
    # creator's threads.create_run authorization stamped}. Every run the cron fires carries the user
    # in config.configurable (langgraph_auth_user...) and the stamp over its metadata (a PATCH of the
    # payload cannot remove or change it).
    auth = models.JSONField(null=True, blank=True)
    next_run_date = models.DateTimeField(null=True, blank=True)
    last_run_date = models.DateTimeField(null=True, blank=True)
    last_run_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CronQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["enabled", "next_run_date"], name="cron_enabled_next")]

    def __str__(self):
        return f"{self.cron_id} ({self.schedule})"
