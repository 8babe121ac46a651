"""Request bodies of the JSON views, read through the pipeline's one JSON parser.

Like the reference, a body is JSON whatever its Content-Type; the size and nesting limits are the
pipeline's (the stream consumers parse theirs with the same ``pipeline.parse_json``)."""
from agentserver.api import pipeline
from agentserver.api.exceptions import InvalidInput

_KIND_NAMES = {dict: "a JSON object", list: "a JSON array"}


def raw_body(request):
    """The body bytes, read from the stream as DRF's parsers do (so large states are not cut off at
    DATA_UPLOAD_MAX_MEMORY_SIZE) and whatever the Content-Length (chunked requests on ASGI)."""
    django_request = getattr(request, "_request", request)
    if hasattr(django_request, "_body"):
        return django_request._body
    body = django_request.read()
    django_request._body = body
    return body


def json_body(request, *, allow_empty=False, kind=dict):
    """The parsed body; an empty one is ``{}`` with ``allow_empty``, else a 422. ``kind``: the JSON
    type required (dict, list, or None for any)."""
    raw = raw_body(request)
    if not raw.strip():
        if allow_empty:
            return {} if kind in (dict, None) else []
        raise InvalidInput("Invalid JSON in request body")
    data = pipeline.parse_json(raw, require_object=False)
    if kind is not None and not isinstance(data, kind):
        raise InvalidInput(f"Request body must be {_KIND_NAMES[kind]}")
    return data
