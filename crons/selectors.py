"""Reads of crons."""
from agentserver.api.exceptions import NotFound
from agentserver.graphs import registry
from agentserver.ids import parse_uuid, system_assistant_id
from crons.models import Cron


def get_cron(*, cron_id, filters=None):
    """The cron; one the authorization ``filters`` hide is as missing (404)."""
    cron = Cron.objects.visible(filters).filter(pk=cron_id).first()
    if cron is None:
        raise NotFound(f"Cron {cron_id} not found")
    return cron


def _assistant_uuid(assistant_id):
    """A UUID, or a graph name meaning its system assistant; anything else matches nothing."""
    if assistant_id is None:
        return None
    parsed = parse_uuid(assistant_id)
    if parsed is None and assistant_id in registry.specs:
        parsed = system_assistant_id(assistant_id)
    return parsed or "00000000-0000-0000-0000-000000000000"


def _filtered(*, assistant_id=None, thread_id=None, enabled=None, metadata=None, filters=None):
    return Cron.objects.visible(filters).matching(assistant_id=_assistant_uuid(assistant_id), thread_id=thread_id,
                                 enabled=enabled, metadata=metadata)


def search_crons(*, assistant_id=None, thread_id=None, enabled=None, metadata=None, limit=10, offset=0,
                 sort_by="created_at", sort_order="desc", select=None, filters=None):
    qs = _filtered(assistant_id=assistant_id, thread_id=thread_id, enabled=enabled, metadata=metadata,
                   filters=filters)
    column = {"thread_id": "thread_id"}.get(sort_by, sort_by)
    prefix = "-" if sort_order == "desc" else ""
    return list(qs.order_by(f"{prefix}{column}", f"{prefix}cron_id")[offset:offset + limit])


def count_crons(*, assistant_id=None, thread_id=None, metadata=None, filters=None):
    return _filtered(assistant_id=assistant_id, thread_id=thread_id, metadata=metadata, filters=filters).count()
