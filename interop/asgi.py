"""The one hook of the ASGI entry point: ``application = wrap(api_application)``.

Around the API (Django + streaming consumers) it adds HTTP metrics and, in this order: the user's
custom routes (``langgraph.json`` ``http.app``), the ``disable_*`` flags, MCP (``/mcp``), A2A
(``/a2a/...``), ``configurable_headers`` on run creation, then the API.
"""
import asyncio
import re

import orjson
from asgiref.sync import sync_to_async

from agentserver.api import pipeline
from agentserver.api.asgi import ApiPipelineApp
from interop.custom_routes import apply_cors, http_options
from interop.http_metrics import HttpMetricsMiddleware
from interop.run_headers import HeaderSelector, with_run_headers

GROUPS = (  # checked in order: /threads/{id}/runs... belongs to runs, not threads
    ("runs", re.compile(r"^/(threads/[^/]+/)?runs(/|$)")),
    ("assistants", re.compile(r"^/assistants(/|$)")),
    ("threads", re.compile(r"^/threads(/|$)")),
    ("store", re.compile(r"^/store(/|$)")),
    ("mcp", re.compile(r"^/mcp/?$")),
    ("a2a", re.compile(r"^/a2a/|^/\.well-known/agent-card\.json$")),
    ("meta", re.compile(r"^/(openapi\.json|info|metrics|docs)/?$|^/docs/")),
)


def group_of(path):
    return next((name for name, pattern in GROUPS if pattern.match(path)), None)


async def send_json(send, status, data, headers=None):
    body = orjson.dumps(data)
    extra = [(name.lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})


def _routes_of(app):
    """A Starlette/FastAPI app's routes (FastAPI's own /docs and /openapi.json left out), or None."""
    routes = getattr(app, "routes", None)
    if not isinstance(routes, list):
        return None
    own = {getattr(app, name, None) for name in ("openapi_url", "docs_url", "redoc_url",
                                                 "swagger_ui_oauth2_redirect_url")} - {None}
    return [route for route in routes if getattr(route, "path", None) not in own]


def _matches(routes, scope):
    from starlette.routing import Match

    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def _django_resolves(path, urlconf=None):
    from django.urls import Resolver404, resolve

    try:
        resolve(path, urlconf=urlconf)
    except Resolver404:
        return False
    return True


def _api_serves(path):
    from agentserver.routing import consumer_routes

    relative = path.lstrip("/")
    return _django_resolves(path) or any(route.pattern.match(relative) for route in consumer_routes())


class UserApp:
    """The user's ASGI app; its lifespan (startup/shutdown handlers) starts before its first request."""

    def __init__(self, app):
        self.app = app
        self.state = {}
        self._ready = None

    async def _lifespan(self, ready):
        inbox = asyncio.Queue()
        await inbox.put({"type": "lifespan.startup"})

        async def send(message):
            if message["type"].startswith("lifespan.startup") and not ready.done():
                ready.set_result(message["type"] == "lifespan.startup.complete")

        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, inbox.get, send)
        except Exception:  # noqa: BLE001 - an app without lifespan support
            pass
        if not ready.done():
            ready.set_result(False)

    async def __call__(self, scope, receive, send):
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
            self._task = asyncio.get_running_loop().create_task(self._lifespan(self._ready))
        await self._ready
        scope = {**scope, "state": {**self.state, **scope.get("state", {})}}
        return await self.app(scope, receive, send)


class AuthenticatedApp:
    """The user's ASGI app behind authentication (``http.enable_custom_route_auth``): the request
    policies run first (a refusal is the API's ``{"detail": ...}``); the user reaches the app as
    ``scope["user"]`` (Starlette's ``request.user``). CORS preflights pass (they carry no
    credentials); the app does its own CORS and reads its own bodies."""

    def __init__(self, app):
        self.app = app

    @staticmethod
    def _authenticate(request):
        for policy in pipeline.policies():
            policy(request)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not pipeline.policies():
            return await self.app(scope, receive, send)
        request = pipeline.ApiRequest.from_scope(scope)
        if not (request.method == "OPTIONS" and request.header("access-control-request-method")):
            try:
                await sync_to_async(self._authenticate, thread_sensitive=False)(request)
            except Exception as exc:  # noqa: BLE001 - rendered like every API error
                status, body, headers = pipeline.render_error(exc) or (500, {"detail": "Internal Server Error"}, {})
                return await send_json(send, status, body, headers)
        scope = {**scope, "agentserver.api_request": request}
        if request.user is not None:
            scope["user"] = request.user
        return await self.app(scope, receive, send)


class InteropRouter:
    def __init__(self, api_application, options):
        self.api = api_application
        self.options = options
        self.user = UserApp(options.asgi_app) if options.asgi_app is not None else None
        self.user_routes = _routes_of(options.asgi_app) if self.user else None
        if self.user is not None and options.custom_route_auth:
            self.user = AuthenticatedApp(self.user)
        self.headers = (HeaderSelector(options.include_headers, options.exclude_headers)
                        if options.include_headers else None)
        self._apps = {}

    def _protocol_app(self, group):
        """The MCP or A2A app (imported on first use), behind CORS."""
        if group not in self._apps:
            if group == "mcp":
                from interop.mcp_server import mcp_app as app
            else:
                from interop.a2a_server import a2a_app as app
            self._apps[group] = ApiPipelineApp(app, expose=("mcp-session-id", "mcp-protocol-version"))
        return self._apps[group]

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if self.user is not None and self.user_routes is not None and _matches(self.user_routes, scope):
            return await self.user(scope, receive, send)
        if self.options.urlconf is not None and _django_resolves(path, self.options.urlconf):
            return await self.api(scope, receive, send)
        group = group_of(path)
        if group in self.options.disabled:
            return await send_json(send, 404, {"detail": "Not Found"})
        if group in ("mcp", "a2a"):
            return await self._protocol_app(group)(scope, receive, send)
        if "meta" in self.options.disabled and path in ("/", "/ok"):
            return await send_json(send, 200, {"ok": True})  # as the reference: no service checks
        if self.user is not None and self.user_routes is None and not _api_serves(path):
            return await self.user(scope, receive, send)
        if self.headers is not None:
            return await with_run_headers(self.headers, self.api, scope, receive, send)
        return await self.api(scope, receive, send)


def wrap(api_application):
    options = http_options()
    apply_cors(options.cors)
    router = InteropRouter(api_application, options)
    return HttpMetricsMiddleware(router)
