"""Validation of cron bodies (422 naming the field) and the Cron object as the reference returns it."""
from rest_framework import serializers

from agentserver.api.exceptions import flatten_errors
from crons import schedule as cron_schedule
from runs.serializers import RunCreateSerializer

# Keys of a cron body that make up the run-create payload of every firing.
PAYLOAD_KEYS = (
    "assistant_id", "input", "metadata", "config", "context", "webhook", "interrupt_before", "interrupt_after",
    "multitask_strategy", "stream_mode", "stream_subgraphs", "stream_resumable", "durability", "checkpoint_during",
)
SORTABLE = ("cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at")
SELECTABLE = ("cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time", "schedule", "timezone",
              "created_at", "updated_at", "user_id", "payload", "next_run_date", "metadata", "enabled")


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ScheduleField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data).strip()
        try:
            cron_schedule.check(value)
        except cron_schedule.ScheduleError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class TimezoneField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            cron_schedule.zone(data)
        except cron_schedule.ScheduleError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return data


class CronFieldsSerializer(serializers.Serializer):
    """The cron's own fields (the run fields are checked by runs' RunCreateSerializer)."""

    schedule = ScheduleField()
    timezone = TimezoneField(required=False, allow_null=True)
    end_time = serializers.DateTimeField(required=False, allow_null=True)
    enabled = StrictBooleanField(required=False, default=True)
    on_run_completed = serializers.ChoiceField(choices=("delete", "keep"), required=False, allow_null=True)
    input = serializers.JSONField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)

    def validate_input(self, value):
        if value is not None and not isinstance(value, (dict, list)):
            raise serializers.ValidationError("must be an object or a list of objects")
        return value


class CronPatchFieldsSerializer(CronFieldsSerializer):
    schedule = ScheduleField(required=False)
    enabled = StrictBooleanField(required=False)


def validate_payload(data, *, partial=False):
    """Validate a cron body; return (cron fields, run payload). Raises DRF ValidationError."""
    if not isinstance(data, dict):
        raise serializers.ValidationError("Request body must be a JSON object")
    cron = (CronPatchFieldsSerializer if partial else CronFieldsSerializer)(data=data)
    cron.is_valid(raise_exception=True)
    run_body = {key: data[key] for key in PAYLOAD_KEYS if key in data}
    if partial:
        run_body.setdefault("assistant_id", "-")  # not patchable; keeps RunCreateSerializer happy
    run = RunCreateSerializer(data=run_body)
    if not run.is_valid():
        raise serializers.ValidationError(flatten_errors(run.errors))
    payload = {key: value for key, value in run.validated_data.items() if key in data}
    if not partial:
        payload["assistant_id"] = run.validated_data["assistant_id"]
    return dict(cron.validated_data), payload


class CronSearchSerializer(serializers.Serializer):
    assistant_id = serializers.CharField(required=False, allow_null=True)
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    enabled = StrictBooleanField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)
    limit = StrictIntegerField(required=False, default=10, min_value=1, max_value=1000)
    offset = StrictIntegerField(required=False, default=0, min_value=0)
    sort_by = serializers.ChoiceField(choices=SORTABLE, required=False, default="created_at")
    sort_order = serializers.ChoiceField(choices=("asc", "desc"), required=False, default="desc")
    select = serializers.ListField(child=serializers.ChoiceField(choices=SELECTABLE), required=False, allow_null=True)


class CronCountSerializer(serializers.Serializer):
    assistant_id = serializers.CharField(required=False, allow_null=True)
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)


def cron_json(cron, *, select=None):
    data = {
        "cron_id": str(cron.cron_id), "assistant_id": str(cron.assistant_id),
        "thread_id": str(cron.thread_id) if cron.thread_id else None,
        "on_run_completed": cron.on_run_completed, "end_time": cron.end_time, "schedule": cron.schedule,
        "timezone": cron.timezone, "created_at": cron.created_at, "updated_at": cron.updated_at,
        "user_id": cron.user_id, "payload": cron.payload, "next_run_date": cron.next_run_date,
        "metadata": cron.metadata, "enabled": cron.enabled,
    }
    if select:
        return {key: data[key] for key in select}
    return data
