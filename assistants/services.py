"""Writes of assistants."""
from django.db import transaction

from agentserver.graphs import registry
from agentserver.ids import system_assistant_id
from assistants.models import Assistant, AssistantVersion


@transaction.atomic
def sync_system_assistants():
    """One system assistant per graph in langgraph.json, with the reference's deterministic id.

    Idempotent: existing system assistants are left as they are."""
    created = []
    for graph_id in registry.graph_ids():
        assistant, was_created = Assistant.objects.get_or_create(
            assistant_id=system_assistant_id(graph_id),
            defaults={"graph_id": graph_id, "name": graph_id, "metadata": {"created_by": "system"}},
        )
        if was_created:
            _record_version(assistant)
            created.append(assistant)
    return created


def _record_version(assistant):
    return AssistantVersion.objects.create(
        assistant=assistant,
        version=assistant.version,
        graph_id=assistant.graph_id,
        name=assistant.name,
        description=assistant.description,
        config=assistant.config,
        context=assistant.context,
        metadata=assistant.metadata,
    )
