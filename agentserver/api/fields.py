"""Request parsing helpers shared by every app's views."""
from rest_framework import serializers

from agentserver.api.exceptions import InvalidInput
from agentserver.ids import parse_uuid


def uuid_or_422(value, *, what):
    """Parse a path id; the reference says e.g. ``Invalid thread ID: must be a UUID``."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise InvalidInput(f"Invalid {what} ID: must be a UUID")
    return parsed


def require_object(data):
    """Request bodies are JSON objects; anything else is a 422."""
    if data is None or data == b"":
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("Request body must be a JSON object")
    return data


# The largest page offset a request may ask for: offset + limit stays a 64-bit integer in SQL.
MAX_OFFSET = 2**62


# --- strict JSON fields (DRF's own coerce "5" to 5, 1 to True, 5 to "5") ---------------------------
class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
