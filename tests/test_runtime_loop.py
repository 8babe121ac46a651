"""The runtime loop (agentserver.runtime.RuntimeLoop): ``call_soon_threadsafe`` from its own thread
schedules without a self-pipe write (LangGraph calls it for every stream chunk); from another
thread it still wakes the loop."""
import asyncio
import threading

from agentserver.runtime import RuntimeLoop


def test_own_thread_schedules_without_a_wake_up_other_threads_wake_it():
    loop = RuntimeLoop()
    writes = []
    real_write = loop._write_to_self
    loop._write_to_self = lambda: (writes.append(threading.get_ident()), real_write())
    ran = []
    thread = threading.Thread(target=lambda: (setattr(loop, "owner", threading.get_ident()), loop.run_forever()))

    async def from_own_thread():
        done = loop.create_future()
        for i in range(100):
            loop.call_soon_threadsafe(ran.append, i)
        loop.call_soon_threadsafe(done.set_result, None)
        await done

    try:
        thread.start()
        asyncio.run_coroutine_threadsafe(from_own_thread(), loop).result(5)
        own = len(writes)
        woken = threading.Event()
        loop.call_soon_threadsafe(woken.set)  # from this (another) thread: the loop sleeps in select()
        assert woken.wait(5)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    assert ran == list(range(100))
    assert own <= 1  # at most run_coroutine_threadsafe's own wake-up, none for the 101 calls
    assert len(writes) > own
