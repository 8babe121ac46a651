"""OpenAPI post-processing (drf-spectacular ``POSTPROCESSING_HOOKS``): the helpers the apps' hooks
describe their routes with, and what the pipeline answers on every route, which no view declares
itself: each refusal as ``ErrorResponse`` (``{"detail": string}``, the reference's name)."""
import re

ERROR_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
OBJECT = {"type": "object", "additionalProperties": True}
METHODS = ("get", "post", "put", "patch", "delete")
# Not API routes of the pipeline's (no request policies, no JSON bodies).
META_PATHS = {"/", "/ok", "/info", "/openapi.json", "/docs", "/metrics"}
# Which routes may answer 409: creates of what already exists, runs refused by multitask_strategy
# "reject", state updates of a thread with runs in flight.
CONFLICT_PATHS = re.compile(r"^/(assistants|threads)$|/runs(/stream|/wait|/batch)?$|/state(/checkpoint)?$")
# Routes without a path parameter that may still answer 404: the graph (also as a search filter) or
# the assistant named in the body does not exist, no run to cancel.
NOT_FOUND_PATHS = re.compile(r"^/assistants(/search|/count)?$|^/runs(/stream|/wait|/batch|/crons|/cancel)?$")
ERRORS = {
    "400": "Bad request, as the reference answers it (e.g. a state operation on a thread that has no graph "
           "yet, both config.configurable and context given, an invalid Content-Length)",
    "404": "Not found",
    "409": "Conflict (already exists, or busy)",
    "413": "Request body too large (AGENTSERVER_MAX_BODY_BYTES)",
    "422": "Invalid input (malformed or too deeply nested JSON, a field's value, a path or query parameter)",
    "503": "A backing service (the database) is unavailable",
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(schema):
    return {"type": "array", "items": schema}


def partial(schema):
    """``schema`` without its required keys (search results reduced by ``select``)."""
    return {key: value for key, value in schema.items() if key != "required"}


def add_schemas(result, schemas):
    result.setdefault("components", {}).setdefault("schemas", {}).update(schemas)


def operation(result, path, method):
    return result.setdefault("paths", {}).setdefault(path, {}).setdefault(method, {})


def set_response(result, path, method, schema, *, status="200", content_type="application/json", description=""):
    """The one success answer of an operation (replacing what the generator guessed)."""
    op = operation(result, path, method)
    responses = op.setdefault("responses", {})
    for code in [code for code in responses if code.startswith("2")]:
        del responses[code]
    content = {content_type: {"schema": schema}} if schema is not None else None
    responses[status] = {"description": description or "Success", **({"content": content} if content else {})}
    return op


def set_body(result, path, method, schema, *, required=True):
    operation(result, path, method)["requestBody"] = {
        "required": required, "content": {"application/json": {"schema": schema}}}


def statuses_of(path, method, op):
    """The refusals an operation may answer."""
    codes = ["503"]
    if "requestBody" in op or "/state" in path or "/history" in path:
        codes.append("400")
    has_input = "requestBody" in op or op.get("parameters") or "{" in path
    if has_input:
        codes.append("422")
    if "{" in path or NOT_FOUND_PATHS.search(path):
        codes.append("404")
    if method in ("post", "put") and CONFLICT_PATHS.search(path):
        codes.append("409")
    if "requestBody" in op or method in ("post", "put", "patch"):
        codes.append("413")
    return codes


def error_responses(result, generator, request, public):
    """Every operation's refusals, each as ``ErrorResponse``."""
    add_schemas(result, {"ErrorResponse": ERROR_SCHEMA})
    for path, item in result.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS or path in META_PATHS:
                continue
            responses = op.setdefault("responses", {})
            for status in statuses_of(path, method, op):
                responses.setdefault(status, {"description": ERRORS[status],
                                              "content": {"application/json": {"schema": ERROR_REF}}})
    return result


def add_auth_errors(result):
    """With authentication on: 401 (no or bad credentials), 403 (not allowed), 415 (a write not sent
    as JSON) on every API route."""
    answers = {"401": "Not authenticated", "403": "Not allowed",
               "415": "Not JSON (write requests, with authentication on)"}
    for path, item in result.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS or path in META_PATHS:
                continue
            for status, description in answers.items():
                if status == "415" and method not in ("post", "put", "patch"):
                    continue
                op.setdefault("responses", {}).setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ERROR_REF}}})
    return result
