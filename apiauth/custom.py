"""LangGraph custom auth: the ``langgraph_sdk.Auth`` object named by langgraph.json's ``auth.path``.

``@auth.authenticate`` gets the arguments it names, as the reference passes them: ``authorization``
(the header, or None), ``headers`` (``dict[bytes, bytes]``, lower-case names), ``path``, ``method``,
``query_params`` (``dict[str, str]``), ``path_params``, ``scope`` (the ASGI scope) and ``request``
(a small read-only request: ``.headers``, ``.method``, ``.url.path``, ``.query_params``). It returns a
user (see ``apiauth.users.normalize``) or raises ``Auth.exceptions.HTTPException``.

``@auth.on...`` handlers get ``ctx`` (``Auth.types.AuthContext``) and ``value``; the most specific
one wins (resource+action, resource, action, global), as in the reference. ``None``/``True``:
allowed; ``False``: 403; a dict: filters on the resource's metadata. Handlers are coroutines; they run
on the runtime loop (``agentserver.runtime``), called from the views' and policies' worker threads.
"""
from __future__ import annotations

import inspect
import logging
from pathlib import Path
from types import SimpleNamespace

from langgraph_sdk import Auth

from agentserver import runtime
from agentserver.api.pipeline import ApiError
from agentserver.specs import load_attr
from apiauth.users import anonymous, normalize

logger = logging.getLogger(__name__)


class AuthConfigError(Exception):
    """langgraph.json's ``auth`` cannot be loaded."""


def load_auth_object(spec: str, base_dir: Path) -> Auth:
    obj = load_attr(spec, base_dir=base_dir, label="auth.path", error=AuthConfigError, prefix="agentserver_auth")
    if not isinstance(obj, Auth):
        raise AuthConfigError(f"auth.path: {spec} is not a langgraph_sdk.Auth object (got {type(obj).__name__})")
    return obj


def _http_error(exc: Auth.exceptions.HTTPException) -> ApiError:
    return ApiError(exc.detail, status_code=exc.status_code, headers=dict(exc.headers or {}))


class _Headers(dict):
    def get(self, key, default=None):
        return super().get(key.lower(), default)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(key.lower())


def _request_view(api_request):
    return SimpleNamespace(
        headers=_Headers(api_request.headers), method=api_request.method,
        url=SimpleNamespace(path=api_request.path, query=api_request.query_string),
        query_params={k: v[-1] for k, v in api_request.query_params.items()},
        path_params={}, scope=api_request.scope or {},
    )


class CustomAuth:
    def __init__(self, auth: Auth):
        self.auth = auth
        handler = auth._authenticate_handler
        self.params = set(inspect.signature(handler).parameters) if handler else set()

    # --- authentication ------------------------------------------------------------------------
    def _arguments(self, api_request) -> dict:
        headers = {name.encode("latin-1"): value.encode("latin-1") for name, value in api_request.headers.items()}
        available = {
            "authorization": lambda: api_request.header("authorization"),
            "headers": lambda: headers,
            "path": lambda: api_request.path,
            "method": lambda: api_request.method,
            "query_params": lambda: {k: v[-1] for k, v in api_request.query_params.items()},
            "path_params": lambda: {},
            "scope": lambda: api_request.scope or {},
            "request": lambda: _request_view(api_request),
            "body": lambda: None,
        }
        return {name: make() for name, make in available.items() if name in self.params}

    def authenticate(self, api_request):
        handler = self.auth._authenticate_handler
        if handler is None:
            return anonymous()
        try:
            result = handler(**self._arguments(api_request))
            if inspect.isawaitable(result):
                result = runtime.call(_awaited(result))
        except Auth.exceptions.HTTPException as exc:
            raise _http_error(exc) from None
        try:
            return normalize(result)
        except TypeError as exc:
            logger.error("auth: %s", exc)
            raise ApiError("Unauthorized", status_code=401) from None

    # --- authorization -------------------------------------------------------------------------
    def handler_for(self, resource, action):
        handlers = self.auth._handlers
        for key in ((resource, action), (resource, "*"), ("*", action)):
            if key in handlers:
                return handlers[key][-1]
        return self.auth._global_handlers[-1] if self.auth._global_handlers else None

    def authorize(self, user, resource, action, value):
        handler = self.handler_for(resource, action)
        if handler is None:
            return None
        ctx = Auth.types.AuthContext(permissions=list(user.get("permissions") or []), user=user,
                                     resource=resource, action=action)
        try:
            result = runtime.call(_awaited(handler(ctx=ctx, value=value)))
        except Auth.exceptions.HTTPException as exc:
            raise _http_error(exc) from None
        if result is None or result is True:
            return None
        if result is False:
            raise ApiError("Forbidden", status_code=403)
        if isinstance(result, dict):
            return result
        logger.error("auth: handler %s returned %r (expected None, a bool or a filter dict)", handler, result)
        raise ApiError("Forbidden", status_code=403)


async def _awaited(awaitable):
    return await awaitable
