"""The ``http`` section of ``langgraph.json``: a user's app beside the API, and API groups off.

    "http": {"app": "./app.py:app", "disable_threads": true, "cors": {"allow_origins": ["..."]},
             "configurable_headers": {"includes": ["x-user-id", "x-org-*"], "excludes": ["authorization"]}}

``app`` is an ASGI app (Starlette, FastAPI: its routes win over the API's, as in the reference; any
other ASGI callable gets the paths the API does not serve) or a Django URLconf (a module with
``urlpatterns``, or a list of URL patterns), whose routes are served first by Django itself.
"""
import json
import logging
import types
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from agentserver.conf import agent_settings
from agentserver.graphs import GraphConfigError
from agentserver.specs import load_attr

logger = logging.getLogger(__name__)
FLAGS = ("disable_assistants", "disable_threads", "disable_runs", "disable_store", "disable_meta",
         "disable_mcp", "disable_a2a", "enable_custom_route_auth")
KNOWN = {"app", "cors", "configurable_headers", "mount_prefix", "logging_headers", "middleware_order",
         "disable_ui", "disable_webhooks", *FLAGS}
CORS_KEYS = {"allow_origins", "allow_methods", "allow_headers", "allow_credentials", "allow_origin_regex",
             "expose_headers", "max_age"}


@dataclass
class HttpOptions:
    asgi_app: object = None
    urlconf: object = None
    disabled: frozenset = frozenset()
    cors: dict = field(default_factory=dict)
    include_headers: tuple = ()
    exclude_headers: tuple = ()
    custom_route_auth: bool = False  # http.enable_custom_route_auth: the user's routes are authenticated


def _import_attr(spec, base_dir):
    return load_attr(spec, base_dir=base_dir, label="http.app", error=GraphConfigError, prefix="agentserver_http_app")


class URLConf:
    """A list of URL patterns as a URLconf object (hashable, for Django's resolver cache)."""

    def __init__(self, urlpatterns):
        self.urlpatterns = urlpatterns


def _as_urlconf(obj):
    """A Django URLconf, or None when ``obj`` is not one."""
    if isinstance(obj, types.ModuleType) and isinstance(getattr(obj, "urlpatterns", None), (list, tuple)):
        return obj
    if isinstance(obj, (list, tuple)):
        return URLConf(list(obj))
    return None


def _header_patterns(raw):
    if raw is None:
        return (), ()
    if not isinstance(raw, dict) or not set(raw) <= {"include", "exclude", "includes", "excludes"}:
        raise GraphConfigError("http.configurable_headers must be an object with 'includes' and/or 'excludes' lists")
    lists = []
    for key in ("include", "exclude"):  # both spellings are in LangGraph's docs
        values = raw.get(key + "s", raw.get(key)) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise GraphConfigError(f"http.configurable_headers.{key} must be a list of header names or patterns")
        lists.append(tuple(v.lower() for v in values))
    return tuple(lists)


def parse_http_options(http, base_dir):
    if not isinstance(http, dict):
        raise GraphConfigError("'http' in langgraph.json must be an object")
    unknown = set(http) - KNOWN
    if unknown:
        raise GraphConfigError(f"http: unknown option(s) {sorted(unknown)}; known: {sorted(KNOWN)}")
    options = HttpOptions()
    if http.get("app") is not None:
        obj = _import_attr(http["app"], base_dir)
        options.urlconf = _as_urlconf(obj)
        if options.urlconf is None:
            if not callable(obj):
                raise GraphConfigError(f"http.app {http['app']!r} is neither an ASGI app nor a Django URLconf")
            options.asgi_app = obj
    options.disabled = frozenset(flag[len("disable_"):] for flag in FLAGS
                                 if flag.startswith("disable_") and http.get(flag))
    cors = http.get("cors") or {}
    if not isinstance(cors, dict) or not set(cors) <= CORS_KEYS:
        raise GraphConfigError(f"http.cors must be an object with keys among {sorted(CORS_KEYS)}")
    options.cors = cors
    options.include_headers, options.exclude_headers = _header_patterns(http.get("configurable_headers"))
    flag = http.get("enable_custom_route_auth", False)
    if not isinstance(flag, bool):
        raise GraphConfigError("http.enable_custom_route_auth must be true or false")
    options.custom_route_auth = flag
    return options


@lru_cache(maxsize=1)
def http_options():
    """The ``http`` options of the served ``langgraph.json`` (read once per process)."""
    path = Path(agent_settings.GRAPHS_CONFIG).resolve()
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return HttpOptions()  # the graph registry reports a missing or broken file
    if not isinstance(config, dict) or config.get("http") is None:
        return HttpOptions()
    return parse_http_options(config["http"], path.parent)


def user_urlpatterns():
    """The user's Django URL patterns, served before the API's (see interop.urls). A broken ``http``
    section is reported by the server at start-up (``interop.asgi.wrap``), not by every command that
    loads the URLconf (``migrate`` runs the URL checks)."""
    try:
        urlconf = http_options().urlconf
    except GraphConfigError as exc:
        logger.warning("%s", exc)
        return []
    return list(urlconf.urlpatterns) if urlconf is not None else []


def open_custom_route(api_request):
    """A request for one of the user's Django routes while ``enable_custom_route_auth`` is off: the
    authentication policy leaves it alone, as the reference does (``agentserver.api.pipeline``'s
    open routes). The user's ASGI app is outside the API pipeline already (``interop.asgi``)."""
    from django.urls import Resolver404, resolve

    try:
        options = http_options()
    except GraphConfigError:
        return False
    if options.urlconf is None or options.custom_route_auth:
        return False
    try:
        resolve(api_request.path, urlconf=options.urlconf)
    except Resolver404:
        return False
    return True


def apply_cors(cors):
    """Point the request pipeline's CORS (``agentserver.api.pipeline``, for JSON views and streams
    alike) at ``http.cors``; options not given keep the server's defaults."""
    if not cors:
        return
    from django.conf import settings

    if "allow_origins" in cors:
        origins = list(cors["allow_origins"])
        settings.CORS_ALLOW_ALL_ORIGINS = "*" in origins
        settings.CORS_ALLOWED_ORIGINS = [origin for origin in origins if origin != "*"]
    if cors.get("allow_origin_regex"):
        settings.CORS_ALLOWED_ORIGIN_REGEXES = [cors["allow_origin_regex"]]
    if cors.get("allow_methods") and "*" not in cors["allow_methods"]:
        settings.CORS_ALLOW_METHODS = list(cors["allow_methods"])
    if cors.get("allow_headers") and "*" not in cors["allow_headers"]:
        settings.CORS_ALLOW_HEADERS = list(cors["allow_headers"])
    if "allow_credentials" in cors:
        settings.CORS_ALLOW_CREDENTIALS = bool(cors["allow_credentials"])
    if "expose_headers" in cors:
        settings.CORS_EXPOSE_HEADERS = list(cors["expose_headers"])
    if "max_age" in cors:
        settings.CORS_PREFLIGHT_MAX_AGE = int(cors["max_age"])
