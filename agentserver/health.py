"""Reachability of the services agentserver depends on (for GET /ok)."""
from django.conf import settings
from django.db import connection


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


# Extra information for GET /ok from the apps above (``register_note(name, fn)``): ``fn()`` returns a
# JSON-able dict; one that fails is reported as such and never fails /ok.
_notes = {}


def register_note(name, fn):
    _notes[name] = fn


def notes():
    result = {}
    for name, fn in _notes.items():
        try:
            result[name] = fn()
        except Exception as exc:  # noqa: BLE001
            result[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return result


def check_services():
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    result = {}
    for name, check in checks.items():
        try:
            check()
            result[name] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            result[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return result
