"""Run ORM code from async code without pinning a connection to a stream.

``db(fn)(...)`` runs ``fn`` on one of this process's database threads (``agentserver.threadhop``:
not Channels' single thread-sensitive thread, so many streams read in parallel, and a third of the
cost of ``sync_to_async``'s executor hop). On PostgreSQL the connection goes back to Django's pool
after each call; a SQLite connection stays with its thread. A broken connection (database
restart) is closed so the next call reconnects.
"""
import functools
import os
import threading

from django.db import InterfaceError, OperationalError, close_old_connections, connection

from agentserver.threadhop import Threads

# as many as asyncio's default executor has threads
DB_THREADS = min(32, (os.cpu_count() or 1) + 4)
_threads = None
_threads_lock = threading.Lock()


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


def _db_threads():
    global _threads
    if _threads is None:
        with _threads_lock:
            if _threads is None:
                _threads = Threads(DB_THREADS, name="agentserver-db")
    return _threads


def db(fn):
    guarded = _guarded(fn)

    @functools.wraps(fn)
    async def call(*args, **kwargs):
        return await _db_threads().run(functools.partial(guarded, *args, **kwargs) if args or kwargs else guarded)

    return call


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
