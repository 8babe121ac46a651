"""Django system checks for the server's options (``manage.py check``; also run at ASGI start-up).

Each message names the option (and its environment variable) and what is wrong with it."""
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from agentserver.conf import DEFAULTS, coerce

CHOICES = {"EXECUTOR": ("embedded", "worker"), "ON_WORKER_CRASH": ("retry", "error")}
POSITIVE = ("WORKER_CONCURRENCY", "LEASE_SECONDS", "MAX_ATTEMPTS", "POLL_SECONDS", "HEARTBEAT_SECONDS",
            "WEBHOOK_TIMEOUT_SECONDS", "EXECUTOR_HEARTBEAT_SECONDS", "MAX_BODY_BYTES", "MAX_JSON_DEPTH", "MAX_NOTIFY_BYTES")
NON_NEGATIVE = ("SHUTDOWN_GRACE_SECONDS", "REQUEST_THREADS", "EVENT_BATCH_WINDOW_SECONDS")
DOTTED_LISTS = ("REQUEST_POLICIES", "CONSUMER_ROUTES", "ASGI_WRAPPERS")
INSECURE_KEY = "agentserver-insecure-development-key-change-me"


def _env_hint(name):
    return f" (environment variable AGENTSERVER_{name})"


def _value_errors(name, value):
    if name in CHOICES and value not in CHOICES[name]:
        return [f"AGENTSERVER[{name!r}] must be one of {', '.join(CHOICES[name])}: got {value!r}"]
    if name in POSITIVE + NON_NEGATIVE:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"AGENTSERVER[{name!r}] must be a number: got {value!r}"]
        if name in POSITIVE and value <= 0:
            return [f"AGENTSERVER[{name!r}] must be greater than 0: got {value!r}"]
        if value < 0:
            return [f"AGENTSERVER[{name!r}] must not be negative: got {value!r}"]
    if name == "CPU_AFFINITY":
        return _affinity_errors(value)
    if name in DOTTED_LISTS and (not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value)):
        return [f"AGENTSERVER[{name!r}] must be a list of dotted paths: got {value!r}"]
    return []


def _affinity_errors(value):
    import os

    from agentserver import affinity

    wrong = affinity.problem(value, allowed=os.sched_getaffinity(0) if affinity.supported() else None)
    return [f"AGENTSERVER['CPU_AFFINITY'] {wrong}"] if wrong else []


@register("agentserver", Tags.compatibility)
def check_agentserver_options(app_configs=None, **kwargs):
    user = getattr(settings, "AGENTSERVER", {})
    if not isinstance(user, dict):
        return [Error("settings.AGENTSERVER must be a dict", id="agentserver.E001")]
    errors = [Error(f"Unknown option AGENTSERVER[{name!r}]", hint=f"Known options: {', '.join(sorted(DEFAULTS))}",
                    id="agentserver.E002") for name in user if name not in DEFAULTS]
    for name in DEFAULTS:
        try:
            value = coerce(name, user.get(name, DEFAULTS[name]))
        except ValueError as exc:
            errors.append(Error(str(exc) + _env_hint(name), id="agentserver.E003"))
            continue
        errors += [Error(message + _env_hint(name), id="agentserver.E003") for message in _value_errors(name, value)]
    if not errors and coerce("LEASE_SECONDS", user.get("LEASE_SECONDS", DEFAULTS["LEASE_SECONDS"])) < 2:
        errors.append(Error("AGENTSERVER['LEASE_SECONDS'] must be at least 2 (leases are renewed every second)",
                            id="agentserver.E004"))
    return errors


@register("agentserver", Tags.security, deploy=False)
def check_secret_key(app_configs=None, **kwargs):
    if settings.SECRET_KEY == INSECURE_KEY and not settings.DEBUG and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return [Warning("SECRET_KEY is the built-in development key outside the embedded default",
                        hint="Set the SECRET_KEY environment variable to a long random value.", id="agentserver.W001")]
    return []


def enforce():
    """Run these checks (ASGI start-up: daphne and uvicorn run no system checks themselves): errors
    stop the server with their messages, warnings are logged."""
    import logging

    from django.core.checks import run_checks
    from django.core.exceptions import ImproperlyConfigured

    messages = run_checks(tags=["agentserver"])
    for message in messages:
        if not message.is_serious():
            logging.getLogger("agentserver").warning("%s", message)
    errors = [str(message) for message in messages if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(errors))
