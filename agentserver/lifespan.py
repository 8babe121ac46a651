"""Process start-up: checkpointer and store tables, then ``agentserver.signals.server_starting``
(the apps sync the system assistants and start the in-process executor).

Runs on the first request or on ASGI lifespan startup (uvicorn), whichever comes first, so that
daphne (which sends no lifespan events) and uvicorn behave the same.
"""
import logging
import threading

from agentserver.conf import agent_settings

logger = logging.getLogger(__name__)
_started = threading.Event()
_lock = threading.Lock()


def start_server_process():
    """Idempotent: what every server process does once before serving."""
    if _started.is_set():
        return
    with _lock:
        if _started.is_set():
            return
        from agentserver import affinity, gctune, persistence
        from agentserver.signals import server_starting

        affinity.apply_configured()
        persistence.setup()
        server_starting.send(sender=None)
        _started.set()
        _drain_on_twisted_shutdown()
        gctune.tune_configured()  # last: what start-up made is frozen
        logger.info("agentserver ready (executor: %s)", agent_settings.EXECUTOR)


_warned = set()


async def _answer_unavailable(exc, send):
    """Answer a request that arrived while the process cannot start because of its database."""
    from agentserver import serde
    from agentserver.api.exceptions import unavailable_detail

    detail = unavailable_detail(exc)
    if detail is None:
        return False
    if detail not in _warned:  # one line per distinct reason, not one traceback per request
        _warned.add(detail)
        logger.error("cannot start serving: %s", detail)
    body = serde.dumps({"ok": False, "detail": detail})
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
    return True


_stopped = threading.Event()


def stop_server_process():
    """Idempotent: what a server process does once when asked to stop, before it exits."""
    if not _started.is_set() or _stopped.is_set():
        return
    with _lock:
        if _stopped.is_set():
            return
        _stopped.set()
        from agentserver.signals import server_stopping

        logger.info("agentserver stopping: draining (grace %ss)", agent_settings.SHUTDOWN_GRACE_SECONDS)
        for _receiver, result in server_stopping.send_robust(sender=None):
            if isinstance(result, Exception):
                logger.error("stopping failed", exc_info=result)
        logger.info("agentserver stopped")


def _drain_on_twisted_shutdown():
    """Under daphne, SIGTERM stops Twisted's reactor: make its shutdown wait for the drain (a
    "before shutdown" trigger whose Deferred fires once ``stop_server_process`` returns)."""
    import sys

    if "twisted.internet.reactor" not in sys.modules:
        return
    from twisted.internet import reactor, threads

    if not reactor.running:
        return

    def before_shutdown():
        return threads.deferToThread(stop_server_process)

    reactor.callFromThread(reactor.addSystemEventTrigger, "before", "shutdown", before_shutdown)


class LifespanApp:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if not _started.is_set():
            from asgiref.sync import sync_to_async

            try:
                await sync_to_async(start_server_process, thread_sensitive=False)()
            except Exception as exc:
                # The database is down or not migrated: a JSON 503 saying so (the next request tries
                # again), not an HTML 500.
                if scope["type"] != "http" or not await _answer_unavailable(exc, send):
                    raise
                return
        return await self.app(scope, receive, send)

    async def _lifespan(self, receive, send):
        from asgiref.sync import sync_to_async

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await sync_to_async(start_server_process, thread_sensitive=False)()
                except Exception as exc:  # noqa: BLE001
                    logger.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await sync_to_async(stop_server_process, thread_sensitive=False)()
                await send({"type": "lifespan.shutdown.complete"})
                return
