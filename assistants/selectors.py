"""Reads of assistants."""
from agentserver.api.exceptions import InvalidInput, NotFound
from agentserver.graphs import registry
from agentserver.ids import parse_uuid, system_assistant_id
from assistants.models import Assistant


def get_assistant(*, assistant_id):
    """By UUID; 404 ``Not Found`` as the reference."""
    try:
        return Assistant.objects.get(pk=assistant_id)
    except Assistant.DoesNotExist:
        raise NotFound("Not Found") from None


def resolve_assistant(*, assistant_id, missing_detail="Thread or assistant not found."):
    """An ``assistant_id`` from a run body: a UUID, or a graph name meaning its system assistant."""
    parsed = parse_uuid(assistant_id)
    if parsed is None:
        if isinstance(assistant_id, str) and assistant_id in registry.specs:
            parsed = system_assistant_id(assistant_id)
        else:
            graphs = ", ".join(registry.graph_ids())
            raise InvalidInput(
                f"Invalid assistant: '{assistant_id}'. Must be either:\n- A valid assistant UUID, or\n"
                f"- One of the registered graphs: {graphs}"
            )
    try:
        return Assistant.objects.get(pk=parsed)
    except Assistant.DoesNotExist:
        raise NotFound(missing_detail) from None
