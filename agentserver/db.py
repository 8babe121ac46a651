"""Run ORM code from async code without pinning a connection to a stream.

``db(fn)(...)`` runs ``fn`` in the shared thread pool (not Channels' single thread-sensitive thread, so
many streams read in parallel). On PostgreSQL the connection goes back to Django's pool after each
call; a SQLite connection stays with its pool thread. A broken connection (database restart) is
closed so the next call reconnects.
"""
import functools

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, close_old_connections, connection


def _pooled():
    return bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))


def _guarded(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        try:
            return fn(*args, **kwargs)
        except (InterfaceError, OperationalError):
            close_old_connections()
            connection.close()
            raise
        finally:
            if _pooled() and not connection.in_atomic_block:
                connection.close()

    return inner


def db(fn):
    return sync_to_async(_guarded(fn), thread_sensitive=False)


def describe_database(settings_dict=None):
    """``postgresql://user@host:5432/name`` or the SQLite file: where the server looks (no password)."""
    s = settings_dict or connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:{s['NAME']}"
    return f"{s['ENGINE'].rsplit('.', 1)[-1]}://{s.get('USER') or ''}@{s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}/{s['NAME']}"


def probe_database(timeout=3):
    """None if the database answers within ``timeout`` seconds, else one line saying why not.

    A direct connection (not Django's pool, whose connection attempts wait up to 30 s)."""
    s = connection.settings_dict
    try:
        if s["ENGINE"].endswith("postgresql"):
            import psycopg

            params = {"dbname": s["NAME"], "user": s.get("USER") or None, "password": s.get("PASSWORD") or None,
                      "host": s.get("HOST") or None, "port": s.get("PORT") or None}
            with psycopg.connect(**{k: v for k, v in params.items() if v}, connect_timeout=timeout) as conn:
                conn.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure: say it in one line
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return f"database unreachable ({describe_database(s)}): {reason}"
    return None
