"""Identifiers: UUIDv7 for threads and runs, uuid5 for system assistants (as the reference)."""
import uuid

import uuid_utils

NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def uuid7():
    return uuid.UUID(str(uuid_utils.uuid7()))


def system_assistant_id(graph_id):
    return uuid.uuid5(NAMESPACE_GRAPH, graph_id)


def parse_uuid(value):
    """Return ``value`` as a UUID, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None
