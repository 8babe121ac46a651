from django.db import models
from django.utils import timezone

from agentserver.ids import uuid7
from agentserver.jsonfilters import access_q, json_contains


class AssistantQuerySet(models.QuerySet):
    def for_graph(self, graph_id):
        return self.filter(graph_id=graph_id) if graph_id else self

    def metadata_contains(self, metadata):
        return self.filter(*json_contains("metadata", metadata)) if metadata else self

    def name_contains(self, name):
        return self.filter(name__icontains=name) if name else self

    def visible(self, filters):
        """The assistants an authorization filter (``agentserver.api.access``) lets through."""
        return self.filter(access_q("metadata", filters)) if filters else self


class Assistant(models.Model):
    """A configured instance of a graph. ``version`` points at the live AssistantVersion."""

    assistant_id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    graph_id = models.CharField(max_length=255, db_index=True)
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Set explicitly by the services so that a new assistant has created_at == updated_at.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AssistantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name or self.graph_id} ({self.assistant_id})"


class AssistantVersionQuerySet(models.QuerySet):
    def metadata_contains(self, metadata):
        return self.filter(*json_contains("metadata", metadata)) if metadata else self


class AssistantVersion(models.Model):
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    graph_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssistantVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["assistant", "version"], name="uniq_assistant_version")]
