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
    # Events larger than this are not put on the channel layer; listeners read them from the DB.
    "MAX_NOTIFY_BYTES": 256 * 1024,
    # Seconds between an executor's heartbeats (interop: /metrics counts live workers); 0: off.
    "EXECUTOR_HEARTBEAT_SECONDS": 10.0,
}


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
        value = self.user_settings.get(attr, self.defaults[attr])
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
