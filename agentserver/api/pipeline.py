"""The one request pipeline of the API, for JSON views and stream consumers alike.

Every API request, whichever transport serves it, goes through the same steps, defined here once:

1. ``ApiRequest``: a transport-neutral view of the request (method, path, headers, query).
2. ``preflight()``: CORS preflight answers (``OPTIONS`` with ``Access-Control-Request-Method``).
3. ``admit()``: the request-size limit, then the policies registered by apps
   (``register_policy``: ``apiauth``'s authentication when auth is configured), then each policy of
   ``AGENTSERVER["REQUEST_POLICIES"]`` in order; a policy raises an ``ApiError`` (or any
   ``ServiceError``) to refuse the request, and may set ``ApiRequest.user``. Authorization per
   resource and action follows in the views and consumers (``agentserver.api.access``).
4. ``parse_json()``: the request body, with the same size and nesting limits everywhere.
5. ``render_error()``: every refusal or failure as ``(status, {"detail": ...})``.
6. ``cors_headers()``: the CORS headers of the response.

Two thin adapters apply it: ``agentserver.api.middleware.ApiPipelineMiddleware`` for Django/DRF
views, and ``agentserver.api.consumers.StreamConsumer`` for the SSE, ``/wait`` and ``/join``
consumers.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
from django.conf import settings
from django.utils.module_loading import import_string

from agentserver.api.exceptions import InvalidInput, ServiceError
from agentserver.conf import agent_settings

# Paths that are not the API: the operator's admin and static files keep Django's own handling.
NON_API_PREFIXES = ("/admin", "/static")
CORS_ALLOW_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY"


class ApiError(ServiceError):
    """A refusal by the pipeline or one of its policies: ``status_code`` and ``detail`` reach the
    client as ``{"detail": ...}``; ``headers`` are added to the response (e.g. ``WWW-Authenticate``)."""

    def __init__(self, detail, *, status_code=400, headers=None):
        super().__init__(detail, status_code=status_code)
        self.headers = dict(headers or {})


@dataclass
class ApiRequest:
    method: str
    path: str
    headers: dict[str, str]
    query_string: str = ""
    scope: dict | None = None
    # Set by policies: who is asking (authentication) and anything else they want to pass on.
    user: Any = None
    context: dict = field(default_factory=dict)

    @classmethod
    def from_scope(cls, scope: dict) -> ApiRequest:
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            name = key.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[name] = f"{headers[name]}, {text}" if name in headers else text
        return cls(method=scope.get("method", "GET"), path=scope.get("path", "/"), headers=headers,
                   query_string=scope.get("query_string", b"").decode("latin-1"), scope=scope)

    @classmethod
    def from_django(cls, request) -> ApiRequest:
        headers = {key.lower(): value for key, value in request.headers.items()}
        return cls(method=request.method, path=request.path, headers=headers,
                   query_string=request.META.get("QUERY_STRING", ""), scope=getattr(request, "scope", None))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @functools.cached_property
    def query_params(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)


def is_api_path(path: str) -> bool:
    return not path.startswith(NON_API_PREFIXES)


# --- CORS ------------------------------------------------------------------------------------
# Settings (django-cors-headers' names): CORS_ALLOW_ALL_ORIGINS, CORS_ALLOWED_ORIGINS,
# CORS_ALLOWED_ORIGIN_REGEXES, CORS_ALLOW_METHODS, CORS_ALLOW_HEADERS (unset: whatever the preflight
# asks for, as the reference), CORS_ALLOW_CREDENTIALS, CORS_EXPOSE_HEADERS, CORS_PREFLIGHT_MAX_AGE.
def _allowed_origin(origin: str | None) -> str | None:
    if not origin:
        return None
    credentials = getattr(settings, "CORS_ALLOW_CREDENTIALS", False)
    if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False):
        return origin if credentials else "*"
    if origin in getattr(settings, "CORS_ALLOWED_ORIGINS", []):
        return origin
    if any(re.match(pattern, origin) for pattern in getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", [])):
        return origin
    return None


def _origin_headers(allowed: str) -> list[tuple[str, str]]:
    headers = [("access-control-allow-origin", allowed)]
    if getattr(settings, "CORS_ALLOW_CREDENTIALS", False):
        headers.append(("access-control-allow-credentials", "true"))
    return headers


def cors_headers(request: ApiRequest) -> list[tuple[str, str]]:
    """The CORS headers of an ordinary response (none when the origin is not allowed)."""
    allowed = _allowed_origin(request.header("origin"))
    if allowed is None:
        return []
    return _origin_headers(allowed) + [
        ("access-control-expose-headers", ", ".join(settings.CORS_EXPOSE_HEADERS)), ("vary", "Origin")]


def preflight(request: ApiRequest) -> tuple[int, list[tuple[str, str]]] | None:
    """The answer to a CORS preflight, or None when ``request`` is not one."""
    if request.method != "OPTIONS" or not request.header("access-control-request-method"):
        return None
    allowed = _allowed_origin(request.header("origin"))
    headers = [("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
                        "Access-Control-Request-Private-Network")]
    if allowed is not None:
        methods = getattr(settings, "CORS_ALLOW_METHODS", None)
        allow_headers = getattr(settings, "CORS_ALLOW_HEADERS", None)
        headers += _origin_headers(allowed) + [
            ("access-control-allow-methods", ", ".join(methods) if methods else CORS_ALLOW_METHODS),
            ("access-control-max-age", str(getattr(settings, "CORS_PREFLIGHT_MAX_AGE", 600))),
            ("access-control-allow-headers", ", ".join(allow_headers) if allow_headers
             else request.header("access-control-request-headers") or "content-type")]
        if request.header("access-control-request-private-network"):
            headers.append(("access-control-allow-private-network", "true"))
    return 200, headers


# --- admission: size limit and policies --------------------------------------------------------
def too_large() -> ApiError:
    return ApiError(f"Request body too large (the limit is {agent_settings.MAX_BODY_BYTES} bytes)", status_code=413)


def check_size(size: int | None) -> None:
    if size is not None and size > agent_settings.MAX_BODY_BYTES:
        raise too_large()


def content_length(request: ApiRequest) -> int | None:
    raw = request.header("content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        raise ApiError("Invalid Content-Length header", status_code=400) from None


@functools.lru_cache(maxsize=32)
def _load_policy(path: str) -> Callable[[ApiRequest], Any]:
    return import_string(path)


# Policies an app puts first (``apiauth`` registers authentication when auth is configured).
_registered: list[Callable[[ApiRequest], Any]] = []


def register_policy(policy: Callable[[ApiRequest], Any] | None) -> None:
    """Run ``policy`` on every API request, before the configured ones; None: remove them all."""
    if policy is None:
        _registered.clear()
    elif policy not in _registered:
        _registered.append(policy)


def policies() -> list[Callable[[ApiRequest], Any]]:
    return [*_registered, *(_load_policy(path) for path in agent_settings.REQUEST_POLICIES)]


# Routes that are not the API's own and that authentication leaves open (``interop`` registers
# the user's custom routes of langgraph.json ``http.app`` unless ``http.enable_custom_route_auth``).
_open_routes: list[Callable[[ApiRequest], bool]] = []


def register_open_route(predicate: Callable[[ApiRequest], bool] | None) -> None:
    """Mark the requests ``predicate`` matches as open to authentication; None: unmark all."""
    if predicate is None:
        _open_routes.clear()
    elif predicate not in _open_routes:
        _open_routes.append(predicate)


def is_open_route(request: ApiRequest) -> bool:
    return any(predicate(request) for predicate in _open_routes)


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE", "QUERY")


def check_json_content_type(request: ApiRequest) -> None:
    """With authentication on (any request policy), a write request with a body must say it is
    JSON: a browser sends ``text/plain`` or form bodies cross-site without a CORS preflight, so a
    credentialed cross-site write could otherwise reach the API (415 instead)."""
    if request.method not in WRITE_METHODS:
        return
    has_body = (content_length(request) or 0) > 0 or request.header("transfer-encoding") is not None
    if not has_body:
        return
    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json" and not (media_type.startswith("application/") and media_type.endswith("+json")):
        raise ApiError("Unsupported Media Type: write requests must be sent as application/json", status_code=415)


def admit(request: ApiRequest) -> ApiRequest:
    """Check an API request before its body is read; raises ``ServiceError`` to refuse it."""
    check_size(content_length(request))
    configured = policies()
    if configured:
        check_json_content_type(request)
    for policy in configured:
        policy(request)
    return request


# --- bodies ----------------------------------------------------------------------------------
def check_storable(value: Any, limit: int | None = None) -> None:
    """``InvalidInput`` unless ``value`` can be stored and rendered back identically on every
    database: nested at most ``MAX_JSON_DEPTH`` levels, and no NUL character in any string or key
    (PostgreSQL's jsonb and text refuse ``\\u0000``; SQLite would store it, so both refuse it)."""
    limit = agent_settings.MAX_JSON_DEPTH if limit is None else limit
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise InvalidInput(f"JSON nested deeper than {limit} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise InvalidInput(NUL_DETAIL)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and "\x00" in item:
            raise InvalidInput(NUL_DETAIL)
        elif isinstance(item, float) and not -NUMBER_LIMIT < item < NUMBER_LIMIT:
            # PostgreSQL's jsonb would read 1e20 back as an integer beyond 64 bits: refused on both
            raise InvalidInput(f"Invalid JSON in request body: number {item!r} out of range (|x| < 2**63)")


NUMBER_LIMIT = float(2**63)
NUL_DETAIL = "Invalid JSON in request body: strings must not contain the NUL character (\\u0000)"


def parse_json(body: bytes, *, require_object: bool = True) -> Any:
    """The JSON body, or ``InvalidInput`` (422) naming what is wrong; 413 above the size limit."""
    check_size(len(body))
    if not body.strip():
        if require_object:
            raise InvalidInput("Invalid JSON in request body")
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("Invalid JSON in request body") from None
    if require_object and not isinstance(data, dict):
        raise InvalidInput("Invalid JSON in request body: expected an object")
    check_storable(data)
    return data


# --- errors ----------------------------------------------------------------------------------
def render_error(exc: BaseException) -> tuple[int, dict, dict] | None:
    """``(status, body, headers)`` for an exception the API answers with a 4xx/503, else None."""
    from rest_framework import exceptions

    from agentserver.api.exceptions import flatten_errors, unavailable_detail

    unavailable = unavailable_detail(exc)
    if unavailable:
        return 503, {"detail": unavailable}, {}
    if isinstance(exc, ServiceError):
        return exc.status_code, {"detail": exc.detail}, getattr(exc, "headers", {})
    if isinstance(exc, exceptions.ParseError):
        return 422, {"detail": "Invalid JSON in request body"}, {}
    if isinstance(exc, exceptions.ValidationError):
        return 422, {"detail": flatten_errors(exc.detail)}, {}
    return None
