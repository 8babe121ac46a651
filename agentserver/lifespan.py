"""Process start-up: load graphs, sync system assistants, start the in-process executor.

Runs on the first request or on ASGI lifespan startup (uvicorn), whichever comes first, so that
daphne (which sends no lifespan events) and uvicorn behave the same.
"""
import logging
import threading

from agentserver import runtime
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
        from agentserver import persistence
        from assistants.services import sync_system_assistants

        sync_system_assistants()
        persistence.setup()
        if agent_settings.EXECUTOR == "embedded":
            from runs.executor import start_executor

            executor = runtime.call(start_executor())
            from agentserver.signals import executor_started

            executor_started.send(sender="server", executor=executor)
        _started.set()
        logger.info("agentserver ready (executor: %s)", agent_settings.EXECUTOR)


class LifespanApp:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if not _started.is_set():
            from asgiref.sync import sync_to_async

            await sync_to_async(start_server_process, thread_sensitive=False)()
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
                await send({"type": "lifespan.shutdown.complete"})
                return
