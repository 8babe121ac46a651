"""Scaled mode: a stream's Redis subscriptions end with its consumer, whatever delivered its last
message (the reported leak: every POST .../runs/stream or /runs/wait left its channel subscribed)."""
import asyncio
import os
import uuid

import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (scaled mode)")


def make_layer():
    from streaming.layers import HybridChannelLayer

    prefix = f"reliab{uuid.uuid4().hex[:8]}"
    return HybridChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=prefix), prefix


async def redis_channels(prefix):
    import redis.asyncio as redis

    client = redis.from_url(os.environ["REDIS_URL"])
    try:
        return sorted(await client.pubsub_channels(f"{prefix}*"))
    finally:
        await client.aclose()


async def eventually_no_channels(prefix, timeout=3.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        channels = await redis_channels(prefix)
        if not channels or asyncio.get_running_loop().time() > deadline:
            return channels
        await asyncio.sleep(0.05)


async def one_stream(layer, *, deliver):
    """What a stream consumer does: a channel, a group, messages until the end, then cleanup."""
    group = f"run.{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    if deliver == "remote":  # the end arrives through Redis only (another process published it)
        for _ in range(100):
            if channel in layer.remote.groups.get(layer.remote._get_group_channel_name(group), ()):
                break
            await asyncio.sleep(0.01)
        await layer.remote.group_send(group, {"type": "stream.end"})
        while (await layer.receive(channel))["type"] != "stream.end":
            pass
    elif deliver == "local":
        await layer.group_send(group, {"type": "stream.end"})
        while (await layer.receive(channel))["type"] != "stream.end":
            pass
    # deliver == "none": the consumer ends before its group join reached Redis
    await layer.adiscard_channel(channel)


@pytest.mark.parametrize("deliver", ["remote", "local", "none"])
async def test_a_stream_leaves_no_subscription_behind(deliver):
    layer, prefix = make_layer()
    try:
        await one_stream(layer, deliver=deliver)
        assert await eventually_no_channels(prefix) == []
        inner = layer.remote._get_layer()
        assert inner.channels == {} and inner.groups == {}
        assert all(not shard._subscribed_to for shard in inner._shards)
    finally:
        await layer.flush()


async def test_soak_subscriptions_stay_flat_over_many_streams():
    layer, prefix = make_layer()
    try:
        for i in range(60):
            await one_stream(layer, deliver=("remote", "local", "none")[i % 3])
        assert await eventually_no_channels(prefix) == []
        inner = layer.remote._get_layer()
        assert len(inner.channels) == 0 and len(inner.groups) == 0
        assert layer._remote_receivers == {} and layer._remote_joins == {}
        assert layer.local._channels == {} and layer.local._groups == {}
    finally:
        await layer.flush()


@pytest.mark.django_db(transaction=True)
async def test_soak_runs_wait_and_stream_leave_no_subscription(live_executor):
    """Many POST /runs/wait and /runs/stream through the real consumers: the process's Redis
    subscriptions (and the layer's bookkeeping) are back where they started after each batch."""
    from channels.layers import get_channel_layer
    from channels.testing import HttpCommunicator
    from django.core.asgi import get_asgi_application

    from agentserver.routing import http_router

    router = http_router(get_asgi_application())
    layer = get_channel_layer()
    body = b'{"assistant_id": "echo", "input": {"messages": [{"type": "human", "content": "hi"}]}}'

    async def subscriptions():
        await asyncio.sleep(0.05)
        inner = layer.remote._get_layer()
        return (len(inner.channels), len(inner.groups), sum(len(s._subscribed_to) for s in inner._shards),
                len(layer._remote_receivers), len(getattr(layer, "_remote_joins", ())), len(layer.local._channels))

    baseline = await subscriptions()  # the executor's own channel (group agentserver.workers) is there
    for round_ in range(3):
        for i in range(8):
            path = "/runs/wait" if i % 2 else "/runs/stream"
            communicator = HttpCommunicator(router, "POST", path, body=body,
                                            headers=[(b"content-type", b"application/json")])
            response = await communicator.get_response(timeout=20)
            assert response["status"] == 200, response["body"][:200]
            await communicator.wait(timeout=5)  # the consumer's clean-up follows the response
        now = await subscriptions()
        # flat: earlier tests in this process may have left their own (their consumers still running)
        assert now == baseline, (round_, now, baseline)
