"""Validation of /store/* bodies and queries (422 naming the field on bad input)."""
from rest_framework import serializers

from agentserver.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField

RESERVED_ROOT = "langgraph"


def check_labels(labels):
    """A namespace is a list of non-empty strings without periods (the SDK joins them with '.')."""
    if not isinstance(labels, (list, tuple)):
        raise serializers.ValidationError("must be a list of strings")
    for label in labels:
        if not isinstance(label, str) or not label:
            raise serializers.ValidationError(f"label {label!r} must be a non-empty string")
        if "." in label:
            raise serializers.ValidationError(f"label {label!r} must not contain periods ('.')")
        if "\x00" in label:
            raise serializers.ValidationError("labels must not contain NUL bytes")
    return tuple(labels)


class NamespaceField(serializers.Field):
    """A namespace (or prefix/suffix); ``allow_empty=False`` for an item's own namespace."""

    def __init__(self, *, allow_empty=True, **kwargs):
        self.allow_empty = allow_empty
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        labels = check_labels(data)
        if not labels and not self.allow_empty:
            raise serializers.ValidationError("must not be empty")
        if labels and not self.allow_empty and labels[0] == RESERVED_ROOT:
            raise serializers.ValidationError(f"the root label {RESERVED_ROOT!r} is reserved")
        return labels

    def to_representation(self, value):
        return list(value)


class IndexField(serializers.Field):
    default_error_messages = {"invalid": "must be false, null or a list of field paths"}

    def to_internal_value(self, data):
        if data is False:
            return False
        if isinstance(data, list) and all(isinstance(item, str) and item for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class ObjectField(serializers.Field):
    default_error_messages = {"invalid": "must be a JSON object"}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class PutItemSerializer(serializers.Serializer):
    namespace = NamespaceField(allow_empty=False)
    key = StrictCharField()
    value = ObjectField()
    index = IndexField(required=False, allow_null=True, default=None)
    # omitted: the store's default TTL (store.ttl.default_ttl); null: never expires
    ttl = serializers.FloatField(required=False, allow_null=True, min_value=0)

    def validate_ttl(self, value):
        if isinstance(self.initial_data.get("ttl"), (bool, str)):
            raise serializers.ValidationError("A valid number is required.")
        return value


class DeleteItemSerializer(serializers.Serializer):
    namespace = NamespaceField(allow_empty=False)
    key = StrictCharField()


class GetItemSerializer(serializers.Serializer):
    """Query string: ``namespace`` is the labels joined with '.' (as the SDK sends it)."""

    namespace = serializers.CharField(required=False, allow_blank=True, default="")
    key = serializers.CharField()
    refresh_ttl = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_namespace(self, value):
        labels = check_labels(value.split(".")) if value else ()
        if not labels:
            raise serializers.ValidationError("must not be empty")
        return labels


class SearchItemsSerializer(serializers.Serializer):
    namespace_prefix = NamespaceField(required=False, allow_null=True, default=())
    filter = ObjectField(required=False, allow_null=True, default=None)
    limit = StrictIntegerField(required=False, default=10, min_value=1, max_value=1000)
    offset = StrictIntegerField(required=False, default=0, min_value=0)
    query = StrictCharField(required=False, allow_null=True, allow_blank=True, default=None)
    refresh_ttl = StrictBooleanField(required=False, allow_null=True, default=None)

    def validate_namespace_prefix(self, value):
        return value or ()


class ListNamespacesSerializer(serializers.Serializer):
    prefix = NamespaceField(required=False, allow_null=True, default=None)
    suffix = NamespaceField(required=False, allow_null=True, default=None)
    max_depth = StrictIntegerField(required=False, allow_null=True, default=None, min_value=1)
    limit = StrictIntegerField(required=False, default=100, min_value=1, max_value=1000)
    offset = StrictIntegerField(required=False, default=0, min_value=0)

    def validate_prefix(self, value):
        return value or None

    def validate_suffix(self, value):
        return value or None
