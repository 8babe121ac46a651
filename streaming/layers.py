"""An in-process channel layer that is safe across threads and event loops.

Channels' ``InMemoryChannelLayer`` keeps asyncio queues that only the loop using them may touch. In
agentserver, runs execute on the runtime loop (see ``agentserver.runtime``) while consumers serve SSE on
the server's loop, so this layer delivers every message onto the receiving channel's own loop with
``call_soon_threadsafe``. Like every channel layer, it may drop messages when a channel is full:
listeners treat messages as wake-ups and read events from the database.
"""
import asyncio
import random
import string
import threading
import time

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer


class _Channel:
    __slots__ = ("loop", "queue")

    def __init__(self, loop, capacity):
        self.loop = loop
        self.queue = asyncio.Queue(maxsize=capacity)


class ThreadSafeInMemoryChannelLayer(BaseChannelLayer):
    extensions = ["groups", "flush"]

    def __init__(self, expiry=60, group_expiry=86400, capacity=1000, channel_capacity=None, **kwargs):
        super().__init__(expiry=expiry, capacity=capacity, channel_capacity=channel_capacity, **kwargs)
        self.group_expiry = group_expiry
        self._lock = threading.Lock()
        self._channels = {}
        self._groups = {}

    async def new_channel(self, prefix="specific."):
        name = f"{prefix}inmemory!{''.join(random.choices(string.ascii_letters, k=12))}"
        with self._lock:
            self._channels[name] = _Channel(asyncio.get_running_loop(), self.get_capacity(name))
        return name

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        with self._lock:
            target = self._channels.get(channel)
        if target is None:
            return
        if target.queue.qsize() >= target.queue.maxsize:
            raise ChannelFull(channel)
        target.loop.call_soon_threadsafe(self._put, target.queue, message)

    @staticmethod
    def _put(queue, message):
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            pass  # dropped: listeners re-read the database

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        with self._lock:
            target = self._channels.get(channel)
            if target is None:
                target = self._channels[channel] = _Channel(asyncio.get_running_loop(), self.get_capacity(channel))
        return await target.queue.get()

    async def group_add(self, group, channel):
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        with self._lock:
            self._groups.setdefault(group, {})[channel] = time.time()

    async def group_discard(self, group, channel):
        with self._lock:
            members = self._groups.get(group)
            if members is not None:
                members.pop(channel, None)
                if not members:
                    del self._groups[group]

    async def group_send(self, group, message):
        self.require_valid_group_name(group)
        with self._lock:
            members = list(self._groups.get(group, ()))
        for channel in members:
            try:
                await self.send(channel, message)
            except ChannelFull:
                pass

    def discard_channel(self, channel):
        """Forget a channel and its group memberships (the consumer is gone)."""
        with self._lock:
            self._channels.pop(channel, None)
            for group in [g for g, members in self._groups.items() if channel in members]:
                self._groups[group].pop(channel, None)
                if not self._groups[group]:
                    del self._groups[group]

    async def flush(self):
        with self._lock:
            self._channels.clear()
            self._groups.clear()

    async def close(self):
        pass
