"""The crons app's part of the OpenAPI document (a drf-spectacular post-processing hook)."""
from agentserver.openapi import OBJECT, array_of, partial, ref, set_body, set_response

DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_STRING = {"type": "string", "nullable": True}
CRON = {
    "type": "object",
    "properties": {
        "cron_id": {"type": "string", "format": "uuid"}, "assistant_id": NULLABLE_STRING,
        "thread_id": NULLABLE_STRING, "on_run_completed": NULLABLE_STRING,
        "end_time": {**DATE_TIME, "nullable": True}, "schedule": {"type": "string"},
        "timezone": NULLABLE_STRING, "created_at": DATE_TIME, "updated_at": DATE_TIME,
        "user_id": NULLABLE_STRING, "payload": OBJECT, "next_run_date": {**DATE_TIME, "nullable": True},
        "metadata": OBJECT, "enabled": {"type": "boolean"},
    },
    "required": ["cron_id", "schedule", "created_at", "updated_at", "payload", "enabled"],
}

CRON_FIELDS = {
    "schedule": {"type": "string", "description": "A cron expression (5 fields)"},
    "timezone": NULLABLE_STRING, "end_time": {**DATE_TIME, "nullable": True}, "enabled": {"type": "boolean"},
    "on_run_completed": {"type": "string", "enum": ["delete", "keep"], "nullable": True},
    "input": {"nullable": True}, "metadata": {**OBJECT, "nullable": True},
    "assistant_id": {"type": "string", "description": "An assistant id, or a graph id"},
    "config": OBJECT, "context": OBJECT, "webhook": NULLABLE_STRING,
}
CRON_CREATE = {"type": "object", "properties": CRON_FIELDS, "required": ["schedule", "assistant_id"],
               "description": "The cron's fields, and the fields of the runs it creates (as a run create's)"}
CRON_PATCH = {"type": "object", "properties": {k: v for k, v in CRON_FIELDS.items() if k != "assistant_id"}}
FILTERS = {"assistant_id": NULLABLE_STRING, "thread_id": {"type": "string", "format": "uuid", "nullable": True},
           "metadata": {**OBJECT, "nullable": True}}
CRON_SEARCH = {"type": "object", "properties": {
    **FILTERS, "enabled": {"type": "boolean", "nullable": True},
    "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
    "offset": {"type": "integer", "minimum": 0, "default": 0},
    "sort_by": {"type": "string"}, "sort_order": {"type": "string", "enum": ["asc", "desc"]},
    "select": {**array_of({"type": "string", "enum": list(CRON["properties"])}), "nullable": True}}}


def describe_crons(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        Cron=CRON, CronCreate=CRON_CREATE, CronPatch=CRON_PATCH, CronSearch=CRON_SEARCH)
    cron = ref("Cron")
    for path, method in (("/runs/crons", "post"), ("/threads/{thread_id}/runs/crons", "post"),
                         ("/runs/crons/{cron_id}", "get"), ("/runs/crons/{cron_id}", "patch")):
        set_response(result, path, method, cron)
    set_response(result, "/runs/crons/{cron_id}", "delete", None, status="204", description="Deleted")
    set_response(result, "/runs/crons/search", "post", array_of(partial(CRON)))  # `select` may leave fields out
    set_response(result, "/runs/crons/count", "post", {"type": "integer"})
    for path in ("/runs/crons", "/threads/{thread_id}/runs/crons"):
        set_body(result, path, "post", ref("CronCreate"))
    set_body(result, "/runs/crons/{cron_id}", "patch", ref("CronPatch"))
    set_body(result, "/runs/crons/search", "post", ref("CronSearch"), required=False)
    set_body(result, "/runs/crons/count", "post", {"type": "object", "properties": FILTERS}, required=False)
    return result
