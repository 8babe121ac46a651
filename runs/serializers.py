"""Validation of run-create bodies and the run object as the API returns it."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from rest_framework import serializers

from agentserver.conf import agent_settings
from agentserver.ids import parse_uuid
from runs import webhook_policy

_URL_VALIDATOR = URLValidator(schemes=["http", "https"])  # compiled once, not per request


def webhook_host_allowed(url):
    """Whether ``url``'s host is one of ``AGENTSERVER["WEBHOOK_ALLOWED_HOSTS"]`` (or a subdomain of
    one); every host is allowed while that list is empty."""
    from urllib.parse import urlsplit

    allowed = [host.lower().lstrip(".") for host in agent_settings.WEBHOOK_ALLOWED_HOSTS]
    if not allowed:
        return True
    host = (urlsplit(url).hostname or "").lower()
    return any(host == item or host.endswith("." + item) for item in allowed)
STREAM_MODES = ("values", "messages", "messages-tuple", "tasks", "checkpoints", "updates", "events", "debug", "custom")
MULTITASK_STRATEGIES = ("reject", "rollback", "interrupt", "enqueue")


class AnyJSONField(serializers.Field):
    """Any JSON value, including null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class ObjectField(serializers.DictField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(child=AnyJSONField(), **kwargs)


class StreamModeField(serializers.Field):
    default_error_messages = {"invalid": "must be one of {modes}, or a list of them (got {value!r})"}

    def to_internal_value(self, data):
        modes = [data] if isinstance(data, str) else data
        if not isinstance(modes, list) or not all(isinstance(m, str) and m in STREAM_MODES for m in modes):
            self.fail("invalid", modes=", ".join(STREAM_MODES), value=data)
        return list(dict.fromkeys(modes))

    def to_representation(self, value):
        return value


class NodeListField(serializers.Field):
    default_error_messages = {"invalid": "must be \"*\" or a list of node names"}

    def to_internal_value(self, data):
        if data == "*" or (isinstance(data, list) and all(isinstance(item, str) for item in data)):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class CommandSerializer(serializers.Serializer):
    update = AnyJSONField()
    resume = AnyJSONField()
    goto = AnyJSONField()

    def validate_goto(self, value):
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is None or isinstance(item, str):
                continue
            if isinstance(item, dict) and isinstance(item.get("node"), str):
                continue
            raise serializers.ValidationError("must be a node name, a {\"node\", \"input\"} Send, or a list of them")
        return value

    def to_internal_value(self, data):
        result = super().to_internal_value(data)
        # Keep only the keys the client sent: "resume": null is a real resume value.
        return {key: result[key] for key in ("update", "resume", "goto") if key in data}


class RunCreateSerializer(serializers.Serializer):
    assistant_id = serializers.CharField()
    input = AnyJSONField()
    command = CommandSerializer(required=False, allow_null=True)
    checkpoint = ObjectField()
    checkpoint_id = serializers.CharField(required=False, allow_null=True)
    config = ObjectField()
    context = ObjectField()
    metadata = ObjectField()
    stream_mode = StreamModeField(required=False)
    stream_subgraphs = serializers.BooleanField(required=False, default=False)
    stream_resumable = serializers.BooleanField(required=False, default=False)
    on_disconnect = serializers.ChoiceField(choices=("cancel", "continue"), required=False, default="continue")
    multitask_strategy = serializers.ChoiceField(choices=MULTITASK_STRATEGIES, required=False, default="enqueue")
    if_not_exists = serializers.ChoiceField(choices=("create", "reject"), required=False, default="reject")
    on_completion = serializers.ChoiceField(choices=("delete", "keep"), required=False, default="delete")
    after_seconds = serializers.FloatField(required=False, allow_null=True, min_value=0)
    interrupt_before = NodeListField(required=False, allow_null=True)
    interrupt_after = NodeListField(required=False, allow_null=True)
    webhook = serializers.CharField(required=False, allow_null=True)
    feedback_keys = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    durability = serializers.ChoiceField(choices=("sync", "async", "exit"), required=False, allow_null=True)
    checkpoint_during = serializers.BooleanField(required=False, allow_null=True)

    def validate_assistant_id(self, value):
        return value.strip()

    def validate_webhook(self, value):
        if value is not None:
            try:
                _URL_VALIDATOR(value)
            except DjangoValidationError:
                raise serializers.ValidationError("Enter a valid URL.") from None
            try:
                webhook_policy.check_url(value)
            except webhook_policy.WebhookRefused as exc:
                raise serializers.ValidationError(f"refused by the webhook policy: {exc}") from None
            if not webhook_host_allowed(value):
                raise serializers.ValidationError("Webhook host not allowed (AGENTSERVER_WEBHOOK_ALLOWED_HOSTS).")
        return value

    def validate_checkpoint_id(self, value):
        if value is not None and parse_uuid(value) is None:
            raise serializers.ValidationError("Invalid checkpoint ID")
        return value

    def validate_config(self, value):
        value = value or {}
        for key in ("configurable", "metadata"):
            if value.get(key) is not None and not isinstance(value[key], dict):
                raise serializers.ValidationError(f"{key} must be an object")
        limit = value.get("recursion_limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise serializers.ValidationError("recursion_limit must be a positive integer")
        tags = value.get("tags")
        if tags is not None and not isinstance(tags, list):
            raise serializers.ValidationError("tags must be a list")
        return value


# The run's ``kwargs`` as the reference shows them (the others stay internal: after_seconds, ...).
PUBLIC_KWARGS = ("input", "command", "config", "context", "stream_mode", "interrupt_before", "interrupt_after",
                 "webhook", "feedback_keys", "temporary", "subgraphs", "resumable", "checkpoint_during",
                 "durability")


def _shown_config(run, config):
    """``kwargs.config`` as the reference shows it: the request's config with the run's
    configurable ids and its metadata (what the graph runs with, less the assistant's config)."""
    config = dict(config or {})
    config["configurable"] = {
        **(config.get("configurable") or {}), "run_id": str(run.run_id), "thread_id": str(run.thread_id),
        "graph_id": run.graph_id, "assistant_id": str(run.assistant_id),
        "user_id": (config.get("configurable") or {}).get("user_id", ""),
    }
    config["metadata"] = {**(run.metadata or {}), **(config.get("metadata") or {}),
                          "run_attempt": getattr(run, "attempt", 1) or 1}
    return config


def public_kwargs(kwargs, run=None):
    shown = {key: kwargs.get(key) for key in PUBLIC_KWARGS}
    if run is not None and hasattr(run, "graph_id"):
        shown["config"] = _shown_config(run, shown["config"])
    if shown["checkpoint_during"] is None:
        shown["checkpoint_during"] = kwargs.get("durability") != "exit"
    for key in ("temporary", "subgraphs", "resumable"):
        shown[key] = bool(shown[key])
    return shown


class RunSerializer(serializers.Serializer):
    """The run object, in the reference's field order."""

    run_id = serializers.UUIDField()
    thread_id = serializers.UUIDField()
    assistant_id = serializers.UUIDField()
    metadata = serializers.JSONField()
    status = serializers.CharField()
    kwargs = serializers.JSONField()
    multitask_strategy = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if isinstance(data.get("kwargs"), dict):
            data["kwargs"] = public_kwargs(data["kwargs"], instance)
        data["langsmith_session_name"] = None
        return data
