"""Request parameters shared by the stream consumers: path ids, Last-Event-ID, stream modes."""
import re

import orjson

from agentserver.api.exceptions import InvalidInput
from agentserver.ids import parse_uuid

LAST_EVENT_ID = re.compile(r"^\s*(-1|\d+)(-\d+)?\s*$")


def parse_last_event_id(value):
    """Our ids are integers; ``-1``/``0`` (and ``-`` on threads) mean "from the start"."""
    if value is None:
        return None
    if value.strip() == "-":
        return 0
    match = LAST_EVENT_ID.match(value)
    if not match:
        raise InvalidInput(f"Invalid Last-Event-ID: {value!r} (expected an event id from this server, or -1)")
    return max(int(match.group(1)), 0)


def parse_stream_modes(values, *, allowed):
    modes = []
    for raw in values:
        raw = raw.strip()
        if raw.startswith("["):
            try:
                items = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise InvalidInput(f"Invalid stream mode: {raw}") from None
        else:
            items = [item for item in raw.split(",") if item]
        for item in items:
            if item not in allowed:
                raise InvalidInput(f"Invalid stream mode: {item}")
            modes.append(item)
    return modes


def path_uuid(consumer, name, what):
    """The UUID in the route's ``name`` segment (None when the route has none); 422 when malformed."""
    value = consumer.scope["url_route"]["kwargs"].get(name)
    parsed = parse_uuid(value)
    if value is not None and parsed is None:
        raise InvalidInput(f"Invalid {what} ID: must be a UUID")
    return parsed
