"""An in-process channel layer that is safe across threads and event loops.

Channels' ``InMemoryChannelLayer`` keeps asyncio queues that only the loop using them may touch. In
agentserver, runs execute on the runtime loop (see ``agentserver.runtime``) while consumers serve SSE on
the server's loop, so this layer delivers every message onto the receiving channel's own loop with
``call_soon_threadsafe``. Like every channel layer, it may drop messages when a channel is full, but
unlike the others it says so (``lossless``): the next message received on that channel carries
``"dropped": True``, and a listener then re-reads the database. Nothing else loses a message in-process,
so its listeners need no periodic safety re-read, except for what other processes store (a
``manage.py worker`` on the same database without Redis): run streams then poll (``spans_processes``).
"""
import asyncio
import logging
import random
import string
import threading
import time

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer

logger = logging.getLogger(__name__)


class _Channel:
    __slots__ = ("loop", "queue", "dropped")

    def __init__(self, loop, capacity):
        self.loop = loop
        self.queue = asyncio.Queue(maxsize=capacity)
        self.dropped = False


class ThreadSafeInMemoryChannelLayer(BaseChannelLayer):
    extensions = ["groups", "flush"]
    lossless = True  # a dropped message is reported on the channel's next message
    # Only this process's messages: events stored by another process (a ``manage.py worker`` on the
    # same database) reach its listeners only through their re-reads of the database.
    spans_processes = False

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
            target.dropped = True
            raise ChannelFull(channel)
        target.loop.call_soon_threadsafe(self._put, target, message)

    @staticmethod
    def _put(target, message):
        try:
            target.queue.put_nowait(message)
        except asyncio.QueueFull:
            target.dropped = True

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        with self._lock:
            target = self._channels.get(channel)
            if target is None:
                target = self._channels[channel] = _Channel(asyncio.get_running_loop(), self.get_capacity(channel))
        message = await target.queue.get()
        if target.dropped:
            target.dropped = False
            message = {**message, "dropped": True}
        return message

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


class HybridChannelLayer(BaseChannelLayer):
    """Redis for other processes, plus direct in-process delivery for this one (scaled mode).

    Every message goes to local subscribers at once through the thread-safe in-process layer and to
    the others through Redis (local subscribers then see it twice; listeners de-duplicate by
    position). Joining a group on Redis can take a round trip or more (the pub/sub layer polls), so it
    completes in the background; when it does, the channel gets a ``stream.resync`` message so that a
    listener re-reads the database for anything published in between.
    """

    extensions = ["groups", "flush"]

    def __init__(self, hosts=None, **kwargs):
        from channels_redis.pubsub import RedisPubSubChannelLayer

        super().__init__()
        self.local = ThreadSafeInMemoryChannelLayer()
        self.remote = RedisPubSubChannelLayer(hosts=hosts, **kwargs)
        self._remote_receivers = {}
        self._remote_joins = {}  # channel -> its background group joins on Redis

    async def new_channel(self, prefix="specific."):
        channel = await self.local.new_channel(prefix)
        # Subscribing on Redis happens in the background (the receive task subscribes first thing).
        self._remote_receivers[channel] = asyncio.ensure_future(self.remote.receive(channel))
        return channel

    async def send(self, channel, message):
        await self.local.send(channel, message)
        await self.remote.send(channel, message)

    async def receive(self, channel):
        remote = self._remote_receivers.get(channel)
        if remote is None:
            remote = self._remote_receivers[channel] = asyncio.ensure_future(self.remote.receive(channel))
        local = asyncio.ensure_future(self.local.receive(channel))
        try:
            done, _ = await asyncio.wait({local, remote}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            local.cancel()
            raise
        if local in done:
            return local.result()  # a finished remote receive stays queued for the next call
        local.cancel()
        del self._remote_receivers[channel]
        return remote.result()

    async def group_add(self, group, channel):
        await self.local.group_add(group, channel)

        async def join_remote():
            try:
                for _ in range(100):
                    if channel in self.remote.channels:
                        break
                    await asyncio.sleep(0)
                await self.remote.group_add(group, channel)
            except Exception as exc:  # noqa: BLE001 - listeners fall back to polling
                logger.warning("joining %s on Redis failed: %s", group, exc)
            finally:
                await self.local.send(channel, {"type": "stream.resync"})

        joins = self._remote_joins.setdefault(channel, set())
        task = asyncio.ensure_future(join_remote())
        joins.add(task)
        task.add_done_callback(joins.discard)

    async def group_discard(self, group, channel):
        await self.local.group_discard(group, channel)
        await self.remote.group_discard(group, channel)

    async def group_send(self, group, message):
        await self.local.group_send(group, message)
        await self.remote.group_send(group, message)

    def discard_channel(self, channel):
        """Forget ``channel`` now; its Redis subscriptions end in the background (see
        ``adiscard_channel``, which consumers await)."""
        self.local.discard_channel(channel)
        asyncio.ensure_future(self.adiscard_channel(channel))

    async def adiscard_channel(self, channel):
        """Forget ``channel`` and end its subscriptions on Redis, whatever delivered its last message.

        A pending remote receive unsubscribes when cancelled, but one that already returned a
        message (or was never started) does not, and a group join still on its way would subscribe
        after the consumer left: both leaked a subscription per stream, for good."""
        self.local.discard_channel(channel)
        joins = [task for task in self._remote_joins.pop(channel, ()) if not task.done()]
        receiver = self._remote_receivers.pop(channel, None)
        try:
            layer = self.remote._get_layer()
            if joins:  # a join on its way would subscribe after the unsubscribe below: let it land
                await asyncio.wait(joins, timeout=5)
            shard = layer._get_shard(channel)
            for _ in range(100):  # nor cancel a receive in the middle of its SUBSCRIBE (it would hang)
                if receiver is None or receiver.done() or channel in shard._subscribed_to:
                    break
                await asyncio.sleep(0.01)
            subscribed = layer.channels.pop(channel, None) is not None
            if receiver is not None and not receiver.done():
                receiver.cancel()  # (its own clean-up is skipped: the channel is no longer known)
            for group_channel in [g for g, members in layer.groups.items() if channel in members]:
                members = layer.groups[group_channel]
                members.discard(channel)
                if not members:
                    del layer.groups[group_channel]
                    await layer._get_shard(group_channel).unsubscribe(group_channel)
            if subscribed:
                await shard.unsubscribe(channel)
        except Exception as exc:  # noqa: BLE001 - Redis down: its restart drops subscriptions anyway
            logger.warning("unsubscribing %s on Redis failed: %s", channel, exc)

    async def flush(self):
        await self.local.flush()
        await self.remote.flush()
