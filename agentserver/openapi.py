"""OpenAPI post-processing (drf-spectacular ``POSTPROCESSING_HOOKS``): what the pipeline answers
on every route, which no view declares itself."""

ERROR_SCHEMA = {"type": "object", "properties": {"detail": {}}, "required": ["detail"]}
ERRORS = {
    "401": "Not authenticated (with a request policy)",
    "403": "Not allowed (with a request policy)",
    "404": "Not found",
    "409": "Conflict (already exists, or busy)",
    "413": "Request body too large (AGENTSERVER_MAX_BODY_BYTES)",
    "415": "Not JSON (write requests, with authentication on)",
    "422": "Invalid input (malformed or too deeply nested JSON, a field's value)",
}
METHODS = ("get", "post", "put", "patch", "delete")


def error_responses(result, generator, request, public):
    """Every operation may answer the pipeline's refusals, each as ``{"detail": ...}``."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status == "413" and method in ("get", "delete"):
                    continue
                if status == "415" and method not in ("post", "put", "patch"):
                    continue
                responses.setdefault(status, {"description": description,
                                              "content": {"application/json": {"schema": ref}}})
    return result


def array_of(ref):
    return {"type": "array", "items": ref}


def set_response(result, path, method, schema, *, status="200", content_type="application/json", description=""):
    operation = result["paths"].setdefault(path, {}).setdefault(method, {})
    operation.setdefault("responses", {})[status] = {
        "description": description, "content": {content_type: {"schema": schema}}}
    return operation
