"""The server's own options, read like DRF's ``api_settings``.

    from agentserver.conf import agent_settings
    agent_settings.WORKER_CONCURRENCY

Values come from ``settings.AGENTSERVER`` (a dict), falling back to ``DEFAULTS``.
"""
from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS = {
    # Path of langgraph.json (env LANGGRAPH_CONFIG).
    "GRAPHS_CONFIG": "langgraph.json",
    # "embedded": this process executes runs; "worker": only `manage.py worker` processes do.
    "EXECUTOR": "embedded",
    # Runs one executor process works on at once.
    "WORKER_CONCURRENCY": 32,
    # Long-lived threads for Django's sync views (agentserver.request_threads); 0: a new thread per
    # request, as Django's ASGI handler does by itself.
    "REQUEST_THREADS": 16,
    # SQLite file of the LangGraph checkpointer when DATABASE_URL is SQLite.
    "CHECKPOINTER_PATH": "checkpoints.sqlite3",
    # Seconds between SSE heartbeat comments / newline keep-alives on /wait and /join.
    "HEARTBEAT_SECONDS": 5.0,
    # A worker renews its lease on running runs this often; a lease not renewed for
    # LEASE_SECONDS marks the run as orphaned.
    "LEASE_SECONDS": 15.0,
    # What happens to a run whose worker died: "retry" (new attempt from the last checkpoint)
    # or "error".
    "ON_WORKER_CRASH": "retry",
    "MAX_ATTEMPTS": 3,
    # Fallback poll for pending runs when no wake-up arrives (dropped message, scheduled run).
    "POLL_SECONDS": 1.0,
    # Seconds a SIGTERM'd worker lets its runs finish before handing them back.
    "SHUTDOWN_GRACE_SECONDS": 20.0,
    "WEBHOOK_TIMEOUT_SECONDS": 10.0,
    # Hosts a run's ``webhook`` URL may point at (``example.com`` also allows its subdomains); empty:
    # any. Set it when untrusted users can create runs: the server POSTs to the URL they give.
    "WEBHOOK_ALLOWED_HOSTS": [],
    # The apps' consumer route lists (long-lived responses), matched before Django's URLconf.
    "CONSUMER_ROUTES": ["runs.routing.consumer_routes", "threads.routing.consumer_routes"],
    # Dotted paths of ``wrap(app) -> app`` applied around the HTTP application, innermost first
    # (custom routes, http options and HTTP metrics of the interop app).
    "ASGI_WRAPPERS": ["interop.asgi.wrap"],
    # Request bodies above this many bytes get a 413, on every route (JSON views and streams).
    "MAX_BODY_BYTES": 8 * 1024 * 1024,
    # JSON request bodies nested deeper than this get a 422 (what cannot be rendered back is never stored).
    "MAX_JSON_DEPTH": 100,
    # Dotted paths of callables ``policy(request: agentserver.api.pipeline.ApiRequest)`` run on every
    # API request (JSON views and streams) before its body is read; raise ApiError to refuse it.
    "REQUEST_POLICIES": [],
    # A webhook POST failing with a network error, 429 or 5xx is tried again, this many times in all,
    # waiting WEBHOOK_RETRY_BACKOFF_SECONDS, then twice that, ... in between.
    "WEBHOOK_MAX_ATTEMPTS": 3,
    "WEBHOOK_RETRY_BACKOFF_SECONDS": 0.5,
    # The built-in authenticator: API keys (Django admin, ``manage.py apikey``) sent as ``x-api-key``
    # or ``Authorization: Bearer``. Off by default; a langgraph.json ``auth`` handler takes precedence.
    "API_KEYS": False,
    # CPUs a server or worker process keeps to (agentserver.affinity): "spread" (one CPU, the one
    # the fewest other agentserver processes of the machine keep to), "auto" (spread for the
    # embedded default, off in a scaled deployment), a list such as "0,2-3", or "off".
    "CPU_AFFINITY": "auto",
    # After start-up, freeze the heap and collect garbage less often (agentserver.gctune).
    "GC_TUNING": True,
    # A run's events that arrive while its previous batch is being stored are gathered this long
    # before they are stored as one batch (streaming.writer); 0: stored as soon as possible.
    "EVENT_BATCH_WINDOW_SECONDS": 0.002,
    # Events larger than this are not put on the channel layer; listeners read them from the DB.
    "MAX_NOTIFY_BYTES": 256 * 1024,
    # Crons: every process with an executor looks for due crons this often (False: never).
    "CRON_SCHEDULER": True,
    "CRON_POLL_SECONDS": 1.0,
    # Seconds between thread-TTL sweeps when langgraph.json's checkpointer.ttl.sweep_interval_minutes
    # is not set.
    "SWEEP_SECONDS": 300.0,
    # Seconds between the heartbeats of each process (console.Worker rows: the admin's workers page,
    # /ok's worker note, /metrics' lg_api_workers*); a row older than three heartbeats is not live.
    "EXECUTOR_HEARTBEAT_SECONDS": 5.0,
}


def coerce(name, value):
    """``value`` as the type of the option's default (environment variables arrive as text).

    Raises ValueError naming the option; ``agentserver.checks`` reports it at start-up."""
    default = DEFAULTS.get(name)
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
                raise ValueError(text)
            return text.lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            return [item.strip() for item in text.split(",") if item.strip()]
    except ValueError:
        kind = type(default).__name__
        raise ValueError(f"AGENTSERVER[{name!r}] must be {'a number' if kind in ('int', 'float') else 'a ' + kind}: got {value!r}") from None
    return value


class AgentSettings:
    def __init__(self, user_settings=None, defaults=None):
        self._user_settings = user_settings
        self.defaults = defaults or DEFAULTS
        self._cached = set()

    @property
    def user_settings(self):
        if self._user_settings is None:
            self._user_settings = getattr(settings, "AGENTSERVER", {})
        return self._user_settings

    def __getattr__(self, attr):
        if attr not in self.defaults:
            raise AttributeError(f"Invalid agentserver setting: {attr!r}")
        value = coerce(attr, self.user_settings.get(attr, self.defaults[attr]))
        self._cached.add(attr)
        setattr(self, attr, value)
        return value

    def reload(self):
        for attr in self._cached:
            delattr(self, attr)
        self._cached.clear()
        self._user_settings = None


agent_settings = AgentSettings()


def _reload(*, setting, **kwargs):
    if setting == "AGENTSERVER":
        agent_settings.reload()


setting_changed.connect(_reload)
