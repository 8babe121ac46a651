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
