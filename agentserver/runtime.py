"""The runtime loop: one background event loop per process for LangGraph work.

The checkpointer, the store and the in-process run executor live on this loop, whatever serves HTTP
(daphne, uvicorn, runserver, Django's test client, a management command). Sync code hands it a
coroutine with :func:`call`; async code on another loop awaits :func:`submit`.
"""
import asyncio
import atexit
import threading

_lock = threading.Lock()
_loop = None
_thread = None


class RuntimeLoop(asyncio.SelectorEventLoop):
    """asyncio's loop, but ``call_soon_threadsafe`` from the loop's own thread is ``call_soon``.

    LangGraph puts every stream chunk on its queue with ``call_soon_threadsafe``, also from a node
    running on this loop; asyncio then writes to its self-pipe each time, a system call that gives
    up the GIL, and with the server's other threads busy, getting it back can wait for a whole
    switch interval. On its own thread the loop is running a callback at that moment and looks at
    its ready queue before it next polls, so the wake-up is not needed."""

    owner = None  # the thread ident running this loop

    def call_soon_threadsafe(self, callback, *args, context=None):
        if threading.get_ident() == self.owner:
            return self.call_soon(callback, *args, context=context)
        return super().call_soon_threadsafe(callback, *args, context=context)


def get_loop():
    """Return the runtime loop, starting its thread on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None:
            ready = threading.Event()
            loop = RuntimeLoop()

            def _run():
                loop.owner = threading.get_ident()
                asyncio.set_event_loop(loop)
                ready.set()
                loop.run_forever()

            _thread = threading.Thread(target=_run, name="agentserver-runtime", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
        return _loop


def in_runtime_thread():
    return _thread is not None and threading.current_thread() is _thread


def call(coro, *, timeout=None):
    """Run ``coro`` on the runtime loop from sync code and return its result."""
    if in_runtime_thread():
        coro.close()
        raise RuntimeError("runtime.call() would deadlock: already on the runtime loop")
    future = asyncio.run_coroutine_threadsafe(coro, get_loop())
    return future.result(timeout)


async def submit(coro):
    """Await ``coro`` on the runtime loop from async code running on any loop."""
    loop = get_loop()
    if asyncio.get_running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


def spawn(coro):
    """Schedule ``coro`` on the runtime loop without waiting (thread-safe)."""
    return asyncio.run_coroutine_threadsafe(coro, get_loop())


def _shutdown():
    if _loop is not None and _loop.is_running():
        _loop.call_soon_threadsafe(_loop.stop)


atexit.register(_shutdown)
