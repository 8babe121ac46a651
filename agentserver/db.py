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
