"""Request validation (DRF serializers, strict JSON types) and the Thread response shape."""
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agentserver.api.fields import MAX_OFFSET, StrictBooleanField, StrictCharField, StrictIntegerField
from agentserver.ids import parse_uuid
from threads.models import ThreadStatus

SELECTABLE = (
    "thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "config", "status", "values",
    "interrupts",
)
SORTABLE = ("thread_id", "status", "created_at", "updated_at", "state_updated_at")
EXTRACT_ROOTS = ("config", "interrupts", "metadata", "values")
_EXTRACT_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[^.\[\]]+|\[-?\d+\])*$")
_ROOT = re.compile(r"[A-Za-z_]\w*")
_FILTER_KEY = re.compile(r"^[a-zA-Z0-9_.-]+$")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(-?\d+)\]")


class ObjectOrArrayField(serializers.JSONField):
    """A JSON object, an array or null (state update values)."""

    default_error_messages = {"invalid": "Must be a JSON object, an array or null."}

    def to_internal_value(self, data):
        if data is not None and not isinstance(data, (dict, list)):
            self.fail("invalid")
        return data


class UUIDStringField(StrictCharField):
    """A UUID, kept as its canonical string."""

    def __init__(self, *, message="Must be a valid UUID.", **kwargs):
        self.message = message
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        parsed = parse_uuid(super().to_internal_value(data))
        if parsed is None:
            raise serializers.ValidationError(self.message)
        return str(parsed)


class CheckpointIdField(UUIDStringField):
    def __init__(self, **kwargs):
        super().__init__(message="Invalid checkpoint ID", **kwargs)


# --- shared bodies -------------------------------------------------------------------------------
class CheckpointSerializer(serializers.Serializer):
    """CheckpointConfig; ``thread_id`` is accepted but the path's thread id is always used."""

    thread_id = StrictCharField(required=False, allow_null=True, allow_blank=True)
    checkpoint_ns = StrictCharField(required=False, allow_null=True, allow_blank=True)
    checkpoint_id = CheckpointIdField(required=False, allow_null=True)
    checkpoint_map = serializers.DictField(required=False, allow_null=True)


class TtlSerializer(serializers.Serializer):
    """A thread's TTL in minutes (stored and swept by the retention app, through a signal)."""

    strategy = serializers.ChoiceField(choices=("delete", "keep_latest"), required=False)
    ttl = serializers.FloatField(required=False, min_value=0)

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("ttl"), (bool, str)):
            raise serializers.ValidationError({"ttl": ["A valid number is required."]})
        return super().to_internal_value(data)


class CommandSerializer(serializers.Serializer):
    update = serializers.JSONField(required=False, allow_null=True)
    resume = serializers.JSONField(required=False, allow_null=True)
    goto = serializers.JSONField(required=False, allow_null=True)


class SuperstepUpdateSerializer(serializers.Serializer):
    values = ObjectOrArrayField(required=False, allow_null=True)
    command = CommandSerializer(required=False, allow_null=True)
    as_node = StrictCharField()


class SuperstepSerializer(serializers.Serializer):
    updates = SuperstepUpdateSerializer(many=True)


# --- thread bodies -------------------------------------------------------------------------------
class ThreadCreateSerializer(serializers.Serializer):
    thread_id = UUIDStringField(required=False, allow_null=True, message="Invalid thread ID: must be a UUID")
    metadata = serializers.DictField(required=False)
    if_exists = serializers.ChoiceField(choices=("raise", "do_nothing"), default="raise")
    ttl = TtlSerializer(required=False, allow_null=True)
    supersteps = SuperstepSerializer(many=True, required=False, allow_null=True)


class ThreadPatchSerializer(serializers.Serializer):
    metadata = serializers.DictField(required=False)
    ttl = TtlSerializer(required=False, allow_null=True)


class ThreadCountSerializer(serializers.Serializer):
    metadata = serializers.DictField(required=False, allow_null=True)
    values = serializers.DictField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ThreadStatus.values, required=False, allow_null=True)


class ThreadSearchSerializer(ThreadCountSerializer):
    ids = serializers.ListField(child=UUIDStringField(), required=False, allow_null=True)
    limit = StrictIntegerField(min_value=1, max_value=1000, default=10)
    offset = StrictIntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
    sort_by = serializers.ChoiceField(choices=SORTABLE, required=False, allow_null=True)
    sort_order = serializers.ChoiceField(choices=("asc", "desc"), required=False, allow_null=True)
    select = serializers.ListField(child=serializers.ChoiceField(choices=SELECTABLE), required=False, allow_null=True)
    extract = serializers.DictField(child=StrictCharField(), required=False, allow_null=True)

    def validate_extract(self, value):
        if value and len(value) > 10:
            raise serializers.ValidationError("At most 10 extract paths are allowed.")
        for path in (value or {}).values():
            root = _ROOT.match(path)
            if not root or root.group(0) not in EXTRACT_ROOTS or not _EXTRACT_PATH.match(path):
                raise serializers.ValidationError(
                    f"Extract path '{path}' must start with one of: {', '.join(EXTRACT_ROOTS)}"
                )
        return value


class ThreadPruneSerializer(serializers.Serializer):
    thread_ids = serializers.ListField(child=UUIDStringField(message="Invalid thread ID: must be a UUID"))
    strategy = serializers.ChoiceField(choices=("delete", "keep_latest"), default="delete")


# --- state bodies / queries ----------------------------------------------------------------------
class StateQuerySerializer(serializers.Serializer):
    subgraphs = serializers.BooleanField(required=False, default=False)


class StateCheckpointSerializer(serializers.Serializer):
    checkpoint = CheckpointSerializer()
    subgraphs = StrictBooleanField(required=False, default=False)


class StateUpdateSerializer(serializers.Serializer):
    values = ObjectOrArrayField(required=False, allow_null=True)
    as_node = StrictCharField(required=False, allow_null=True)
    checkpoint = CheckpointSerializer(required=False, allow_null=True)
    checkpoint_id = CheckpointIdField(required=False, allow_null=True)


class HistoryQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=0, max_value=1000, default=10)
    before = CheckpointIdField(required=False)


@extend_schema_field(OpenApiTypes.OBJECT)
class BeforeField(serializers.Field):
    """``before``: a checkpoint id, a checkpoint object or a checkpoint config naming one
    (``{"configurable": {"checkpoint_id": ...}}``, what the SDK sends)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            return CheckpointIdField().run_validation(data)
        if isinstance(data, dict) and isinstance(data.get("configurable"), dict):
            data = data["configurable"]
        if isinstance(data, dict):
            checkpoint = CheckpointSerializer(data=data)
            checkpoint.is_valid(raise_exception=True)
            return checkpoint.validated_data.get("checkpoint_id")
        raise serializers.ValidationError("Must be a checkpoint ID or a checkpoint object.")


class HistorySerializer(serializers.Serializer):
    limit = StrictIntegerField(min_value=1, max_value=1000, default=1)
    before = BeforeField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)
    checkpoint = CheckpointSerializer(required=False, allow_null=True)

    def validate_metadata(self, value):
        """Keys the SQLite checkpointer can filter on; enforced on every backend for one behaviour."""
        for key in value or {}:
            if not _FILTER_KEY.match(key):
                raise serializers.ValidationError(
                    f"Invalid filter key: '{key}'. Filter keys must contain only alphanumeric characters, "
                    "underscores, dots, and hyphens."
                )
        return value


# --- responses -----------------------------------------------------------------------------------
def _has_state_fields(thread):
    """A thread whose state was never set (new, or busy with its first run) omits ``error`` and
    ``interrupts``, as the reference's does."""
    return (
        thread.values is not None or thread.error is not None or bool(thread.interrupts)
        or thread.status in (ThreadStatus.INTERRUPTED, ThreadStatus.ERROR)
    )


def _extract(thread, path):
    """The value at ``path`` (``values.messages[-1]``, ``metadata.a.b``) or None."""
    root = _ROOT.match(path).group(0)
    value = getattr(thread, root)
    for key, index in _STEP.findall(path[len(root):]):
        if index:
            position = int(index)
            value = value[position] if isinstance(value, list) and -len(value) <= position < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def thread_json(thread, *, select=None, extract=None):
    """A Thread as the API returns it, keys in the reference's order."""
    data = {
        "thread_id": thread.thread_id,
        "created_at": thread.created_at,
        "updated_at": thread.updated_at,
        "state_updated_at": thread.state_updated_at,
        "metadata": thread.metadata,
        "status": thread.status,
        "config": thread.config,
        "values": thread.values,
    }
    if _has_state_fields(thread):
        data["error"] = thread.error
        data["interrupts"] = thread.interrupts
    if select:
        data = {key: value for key, value in data.items() if key in select}
    if extract:
        data["extracted"] = {alias: _extract(thread, path) for alias, path in extract.items()}
    return data
