"""Django's sync views in one thread hop per request, on a pool of long-lived threads.

Django's ASGI handler, given sync middleware and views (all of ours, DRF's and the admin's), hops to
a thread and back for each middleware's ``process_request`` and ``process_response`` and for the
view: about 17 hops per request, most of the CPU of a small request. ``SyncChainASGIHandler`` loads
the middleware chain in sync mode, as under WSGI, and runs the whole chain in one hop.

Django's ASGI handler runs each request's sync code (middleware, DRF views) in a
``ThreadSensitiveContext`` of its own, for which asgiref starts a new single-thread executor: a
thread started and joined per request, and with it a new database connection per request (Django's
connections are per thread). ``with_request_threads(app)`` enters each HTTP request into a
``ThreadSensitiveContext`` bound to one of ``REQUEST_THREADS`` long-lived single-thread executors
(Django's own context then nests inside it and changes nothing), so the threads and their SQLite
connections are reused. While every executor is busy, a request runs as Django would run it (a
thread of its own): a pool that is too small costs speed, never a wait.

Each executor serves one request at a time, which is what thread-sensitive code expects: a
request's sync code runs on one thread from its start to its end.
"""
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler whose middleware chain and view run in one thread-sensitive hop."""

    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


class ExecutorPool:
    def __init__(self, size: int):
        self.size = size
        self.free: list[ThreadPoolExecutor] = []
        self.created = 0

    def acquire(self) -> ThreadPoolExecutor | None:
        if self.free:
            return self.free.pop()
        if self.created < self.size:
            self.created += 1
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"agentserver-request-{self.created}")
        return None

    def release(self, executor: ThreadPoolExecutor) -> None:
        self.free.append(executor)


def with_request_threads(app, size: int):
    """``app`` (Django's ASGI application) with its HTTP requests on ``size`` reused threads."""
    if size <= 0:
        return app
    pool = ExecutorPool(size)

    async def application(scope, receive, send):
        executor = pool.acquire() if scope["type"] == "http" else None
        if executor is None:
            return await app(scope, receive, send)
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await app(scope, receive, send)
        finally:
            pool.release(executor)

    return application
