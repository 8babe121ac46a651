"""Request validation and response shapes of the Assistants API.

Input serializers are strict about JSON types (a string is not an integer, an integer is not a
string): the reference validates bodies with JSON Schema and answers 422 for a wrong type.
Output is built by plain functions so that the field order is exactly the reference's.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agentserver.api.exceptions import InvalidInput
from agentserver.api.fields import MAX_OFFSET

ASSISTANT_FIELDS = (
    "assistant_id",
    "graph_id",
    "config",
    "context",
    "metadata",
    "name",
    "created_at",
    "updated_at",
    "version",
    "description",
)
SORT_FIELDS = ("assistant_id", "created_at", "updated_at", "name", "graph_id")


# --- strict JSON fields ----------------------------------------------------------------------
class StrictCharField(serializers.CharField):
    """A JSON string; numbers and booleans are rejected rather than coerced."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer; strings, floats and booleans are rejected."""

    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.Field):
    """A JSON object (dict), returned as is."""

    default_error_messages = {"invalid": "Must be a JSON object."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ConfigField(JSONObjectField):
    """A RunnableConfig: an object whose well-known keys have the right types."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        errors = {}
        tags = data.get("tags")
        if "tags" in data and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            errors["tags"] = "Must be a list of strings."
        limit = data.get("recursion_limit")
        if "recursion_limit" in data and (isinstance(limit, bool) or not isinstance(limit, int)):
            errors["recursion_limit"] = "Must be an integer."
        if "configurable" in data and not isinstance(data["configurable"], dict):
            errors["configurable"] = "Must be a JSON object."
        if errors:
            raise serializers.ValidationError(errors)
        return data


class QueryBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be a boolean (true or false)."}


# --- request bodies --------------------------------------------------------------------------
class AssistantCreateSerializer(serializers.Serializer):
    graph_id = StrictCharField()
    assistant_id = StrictCharField(required=False)
    config = ConfigField(required=False)
    context = JSONObjectField(required=False)
    metadata = JSONObjectField(required=False)
    if_exists = serializers.ChoiceField(choices=("raise", "do_nothing"), required=False, default="raise")
    name = StrictCharField(required=False, allow_blank=True, max_length=255)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True)


class AssistantPatchSerializer(serializers.Serializer):
    graph_id = StrictCharField(required=False)
    config = ConfigField(required=False)
    context = JSONObjectField(required=False)
    metadata = JSONObjectField(required=False)
    name = StrictCharField(required=False, allow_blank=True, max_length=255)
    description = StrictCharField(required=False, allow_blank=True)


class AssistantCountSerializer(serializers.Serializer):
    graph_id = StrictCharField(required=False)
    metadata = JSONObjectField(required=False)
    name = StrictCharField(required=False, allow_blank=True)


class AssistantSearchSerializer(AssistantCountSerializer):
    limit = StrictIntegerField(required=False, default=10, min_value=1, max_value=1000)
    offset = StrictIntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)
    sort_by = serializers.ChoiceField(choices=SORT_FIELDS, required=False)
    sort_order = serializers.ChoiceField(choices=("asc", "desc"), required=False)
    select = serializers.ListField(child=serializers.ChoiceField(choices=ASSISTANT_FIELDS), required=False)


class VersionSearchSerializer(serializers.Serializer):
    metadata = JSONObjectField(required=False)
    limit = StrictIntegerField(required=False, default=10, min_value=1, max_value=1000)
    offset = StrictIntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)


class SetLatestSerializer(serializers.Serializer):
    version = StrictIntegerField()


class DeleteQuerySerializer(serializers.Serializer):
    delete_threads = QueryBooleanField(required=False, default=False)


class SubgraphsQuerySerializer(serializers.Serializer):
    recurse = QueryBooleanField(required=False, default=False)


def parse_xray(value):
    """``?xray=``: true/false, or a positive depth; anything else is a 422 as in the reference."""
    if value in (None, "", "false", "False"):
        return False
    if value in ("true", "True"):
        return True
    try:
        depth = int(value)
    except ValueError:
        raise InvalidInput("Invalid xray value") from None
    if depth <= 0:
        raise InvalidInput("Invalid xray value")
    return depth


# --- responses -------------------------------------------------------------------------------
def assistant_data(assistant, *, select=None):
    """The reference's assistant object, optionally reduced to ``select`` (order kept)."""
    data = {
        "assistant_id": assistant.assistant_id,
        "graph_id": assistant.graph_id,
        "config": assistant.config,
        "context": assistant.context,
        "metadata": assistant.metadata,
        "name": assistant.name,
        "created_at": assistant.created_at,
        "updated_at": assistant.updated_at,
        "version": assistant.version,
        "description": assistant.description,
    }
    if select:
        return {key: value for key, value in data.items() if key in select}
    return data


def version_data(version):
    """One row of ``POST /assistants/{id}/versions``, in the reference's field order."""
    return {
        "assistant_id": version.assistant_id,
        "version": version.version,
        "graph_id": version.graph_id,
        "config": version.config,
        "context": version.context,
        "metadata": version.metadata,
        "created_at": version.created_at,
        "name": version.name,
        "description": version.description,
    }
