"""Reads of assistants."""
from django.db.models import F
from django.db.models.functions import Lower

from agentserver import sql
from agentserver.api.exceptions import InvalidInput, NotFound
from agentserver.graphs import registry
from agentserver.ids import parse_uuid, system_assistant_id
from assistants.models import Assistant, AssistantVersion


def require_graph(*, graph_id):
    """404 naming the registered graphs when ``graph_id`` is not one of them (as the reference)."""
    if graph_id not in registry.specs:
        raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(registry.specs)}")


def get_assistant(*, assistant_id, filters=None):
    """By UUID; 404 ``Not Found`` as the reference (also when authorization ``filters`` hide it)."""
    try:
        return Assistant.objects.visible(filters).get(pk=assistant_id)
    except Assistant.DoesNotExist:
        raise NotFound("Not Found") from None


def get_registered_assistant(*, assistant_id, filters=None):
    """As ``get_assistant``, but an assistant of a graph no longer in langgraph.json is hidden."""
    assistant = get_assistant(assistant_id=assistant_id, filters=filters)
    if assistant.graph_id not in registry.specs:
        raise NotFound(f"assistant {assistant_id} not found")
    return assistant


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
    row = sql.select_one(Assistant, _ASSISTANT_FIELDS, where={"assistant_id": parsed})  # every run reads it
    if row is None:
        raise NotFound(missing_detail)
    return Assistant.from_db(Assistant.objects.db, _ASSISTANT_FIELDS, tuple(row.values()))


_ASSISTANT_FIELDS = tuple(field.attname for field in Assistant._meta.concrete_fields)


def _filtered(*, graph_id=None, metadata=None, name=None, filters=None):
    if graph_id is not None:
        require_graph(graph_id=graph_id)
    return Assistant.objects.visible(filters).for_graph(graph_id).metadata_contains(metadata).name_contains(name)


def _ordering(*, sort_by, sort_order):
    """Newest first by default; with ``sort_by``, descending unless ``sort_order`` is ``asc``.

    Names and graph ids sort case-insensitively; ties keep creation order."""
    if not sort_by:
        return [F("created_at").desc(), F("assistant_id").desc()]
    key = Lower(sort_by) if sort_by in ("name", "graph_id") else F(sort_by)
    primary = key.asc() if sort_order == "asc" else key.desc()
    return [primary, F("created_at").asc(), F("assistant_id").asc()]


def search_assistants(*, graph_id=None, metadata=None, name=None, limit=10, offset=0,
                      sort_by=None, sort_order=None, filters=None):
    """One page of matching assistants and the offset of the next page (None on the last one)."""
    qs = _filtered(graph_id=graph_id, metadata=metadata, name=name, filters=filters)
    rows = list(qs.order_by(*_ordering(sort_by=sort_by, sort_order=sort_order))[offset:offset + limit + 1])
    next_offset = offset + limit if len(rows) > limit else None
    return rows[:limit], next_offset


def count_assistants(*, graph_id=None, metadata=None, name=None, filters=None):
    return _filtered(graph_id=graph_id, metadata=metadata, name=name, filters=filters).count()


def list_versions(*, assistant_id, metadata=None, limit=10, offset=0, filters=None):
    """Versions of an assistant, newest first. As the reference, an empty result is a 404."""
    if filters and not Assistant.objects.visible(filters).filter(pk=assistant_id).exists():
        raise NotFound(f"Assistant {assistant_id} not found")
    qs = AssistantVersion.objects.filter(assistant_id=assistant_id).metadata_contains(metadata)
    versions = list(qs.order_by("-version")[offset:offset + limit])
    if not versions:
        raise NotFound(f"Assistant {assistant_id} not found")
    return versions

