"""Django settings for agentserver.

Everything an operator changes is an environment variable; see the README's configuration table.
The embedded default (no variables set) is SQLite + an in-process channel layer + an in-process run
executor. Setting ``DATABASE_URL`` to PostgreSQL and ``REDIS_URL`` switches to the scaled mode.
"""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("AGENTSERVER_DATA_DIR", BASE_DIR / ".data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "agentserver-insecure-development-key-change-me")
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", ["*"])

INSTALLED_APPS = [
    # First: its runserver (port, graphs and database checked before Daphne's) wins over Daphne's.
    "agentserver",
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "assistants",
    "threads",
    "runs",
    "streaming",
    "store",
    "crons",
    "retention",
    "interop",
    "console",
    "apiauth",
]

MIDDLEWARE = [
    "agentserver.api.middleware.ApiPipelineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's CSS/JS, the console's charts) under runserver, daphne and uvicorn,
    # with DEBUG off too. Without `collectstatic` they are found in the apps (WHITENOISE_USE_FINDERS).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "agentserver.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "agentserver.asgi.application"
WSGI_APPLICATION = None

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'agentserver.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections stay open with their thread (request threads and the db() pool are long-lived:
    # agentserver.request_threads); opening one costs more than most statements of a request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on the busy timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_agentserver.sqlite3")}
else:
    # Django's psycopg pool caps this process's connections; requests and stream reads borrow and
    # return them, so many concurrent requests queue for a connection instead of exhausting PostgreSQL.
    # CONN_HEALTH_CHECKS: the pool tests a connection (an empty query) before handing it out, so one
    # that PostgreSQL ended while it sat idle (pg_terminate_backend, a failover, an idle timeout) is
    # replaced instead of failing the request or the event write that borrows it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("AGENTSERVER_DB_POOL_SIZE", "8")),
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer --------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "streaming.layers.HybridChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "streaming.layers.ThreadSafeInMemoryChannelLayer"}}

# --- agentserver's own options (read through agentserver.conf.agent_settings) ---------------
# Environment variables of the server's options. Values are passed as text; agentserver.conf holds
# every default, converts the text to the option's type, and its system checks name bad values.
_ENV_OPTIONS = {
    "AGENTSERVER_EXECUTOR": "EXECUTOR",
    "AGENTSERVER_WORKER_CONCURRENCY": "WORKER_CONCURRENCY",
    "AGENTSERVER_REQUEST_THREADS": "REQUEST_THREADS",
    "AGENTSERVER_LEASE_SECONDS": "LEASE_SECONDS",
    "AGENTSERVER_ON_WORKER_CRASH": "ON_WORKER_CRASH",
    "AGENTSERVER_MAX_ATTEMPTS": "MAX_ATTEMPTS",
    "AGENTSERVER_SHUTDOWN_GRACE_SECONDS": "SHUTDOWN_GRACE_SECONDS",
    "AGENTSERVER_HEARTBEAT_SECONDS": "HEARTBEAT_SECONDS",
    "AGENTSERVER_MAX_BODY_BYTES": "MAX_BODY_BYTES",
    "AGENTSERVER_POLL_SECONDS": "POLL_SECONDS",
    "AGENTSERVER_EXECUTOR_HEARTBEAT_SECONDS": "EXECUTOR_HEARTBEAT_SECONDS",
    "AGENTSERVER_API_KEYS": "API_KEYS",
    "AGENTSERVER_WEBHOOK_ALLOWED_HOSTS": "WEBHOOK_ALLOWED_HOSTS",
    "AGENTSERVER_EVENT_BATCH_WINDOW_SECONDS": "EVENT_BATCH_WINDOW_SECONDS",
    "AGENTSERVER_CPU_AFFINITY": "CPU_AFFINITY",
    "AGENTSERVER_GC_TUNING": "GC_TUNING",
}
AGENTSERVER = {option: os.environ[var] for var, option in _ENV_OPTIONS.items() if var in os.environ}
# Deployment paths (not option defaults): the graphs next to where the server starts, and the
# checkpointer's SQLite file in the data directory.
AGENTSERVER["GRAPHS_CONFIG"] = os.environ.get("LANGGRAPH_CONFIG") or (
    str(Path.cwd() / "langgraph.json") if (Path.cwd() / "langgraph.json").is_file() else str(BASE_DIR / "langgraph.json")
)
AGENTSERVER["CHECKPOINTER_PATH"] = os.environ.get("AGENTSERVER_CHECKPOINTER_PATH", str(DATA_DIR / "checkpoints.sqlite3"))

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["agentserver.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["agentserver.api.parsers.PipelineJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "agentserver.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "agentserver",
    "DESCRIPTION": "A self-hosted LangGraph Agent Server on Django.",
    "VERSION": "0.1.0",
    # /docs serves Swagger UI from drf-spectacular-sidecar's files (no CDN)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The pipeline's answers on every route, the consumers' (streaming) routes, run bodies, arrays;
    # the interop paths; the security schemes of authentication.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "assistants.openapi.describe_assistants",
        "threads.openapi.describe_threads",
        "runs.openapi.describe_runs",
        "crons.openapi.describe_crons",
        "store.openapi.describe_store",
        "agentserver.openapi.error_responses",
        "interop.openapi.add_interop_paths",
        "apiauth.openapi.add_security",
    ],
}

# --- CORS -----------------------------------------------------------------------------------
_cors = _env_list("CORS_ALLOWED_ORIGINS", ["*"])
CORS_ALLOW_ALL_ORIGINS = _cors == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _cors
CORS_EXPOSE_HEADERS = ["x-pagination-total", "x-pagination-next", "content-location", "location"]
CORS_PREFLIGHT_MAX_AGE = 600
# Bodies are limited by the request pipeline (AGENTSERVER_MAX_BODY_BYTES), for every route alike.
DATA_UPLOAD_MAX_MEMORY_SIZE = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve from the apps' static folders when `collectstatic` has not been run (it still may be, for
# production: WhiteNoise then serves STATIC_ROOT with far-future cache headers on hashed names).
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
