"""The in-process channel layer reports dropped messages, and a listener never loses an event to one."""
import asyncio

import pytest
from asgiref.sync import sync_to_async

from agentserver.api.consumers import StreamConsumer
from runs.selectors import run_is_over
from streaming import follow, notify
from streaming.layers import ThreadSafeInMemoryChannelLayer
from streaming.services import append_thread_event
from threads.models import Thread


async def test_a_dropped_message_marks_the_next_one_on_that_channel():
    layer = ThreadSafeInMemoryChannelLayer(capacity=2)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    for i in range(4):  # the puts land on the loop later: 2 fit, 2 are dropped
        await layer.group_send("g", {"type": "x", "i": i})
    first = await layer.receive(channel)
    second = await layer.receive(channel)
    assert (first["i"], first.get("dropped")) == (0, True)
    assert (second["i"], second.get("dropped")) == (1, None)


async def test_a_full_channel_does_not_break_group_send_for_others():
    layer = ThreadSafeInMemoryChannelLayer(capacity=1)
    full, other = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", full)
    await layer.group_add("g", other)
    await layer.group_send("g", {"type": "x", "i": 0})
    got = [await layer.receive(other)]  # `other` keeps up, `full` does not
    await layer.group_send("g", {"type": "x", "i": 1})  # `full` is full now: dropped there only
    got.append(await layer.receive(other))
    assert [(m["i"], m.get("dropped")) for m in got] == [(0, None), (1, None)]
    message = await layer.receive(full)
    assert (message["i"], message.get("dropped")) == (0, True)


def _listener(layer):
    """A real StreamConsumer wired to ``layer``, collecting what it writes (no ASGI server)."""
    consumer = StreamConsumer()
    consumer.channel_layer, consumer.layer_ok, consumer._groups = layer, True, []
    consumer.sse, consumer.last_write, consumer.written = True, 0.0, []

    async def write(chunk):
        consumer.written.append(chunk)

    consumer.write = write
    return consumer


@pytest.mark.django_db(transaction=True)
async def test_thread_stream_rereads_after_a_drop_and_gets_every_event():
    layer = ThreadSafeInMemoryChannelLayer(capacity=2)
    consumer = _listener(layer)
    consumer.channel_name = await layer.new_channel()
    thread = await sync_to_async(Thread.objects.create_now)(metadata={})
    emit = follow.thread_stream_emitter(consumer, ["state_update"])
    task = asyncio.create_task(follow.follow_thread(consumer, thread_id=thread.pk, after=0, emit=emit))
    while not consumer._groups:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the initial read found nothing

    seqs = [await sync_to_async(append_thread_event)(thread_id=thread.pk, event="state_update", data={"k": k})
            for k in range(5)]
    # The announcements arrive in a burst on a channel of capacity 2: three of them are dropped.
    for k, seq in enumerate(seqs):
        await layer.group_send(notify.thread_group(thread.pk), {
            "type": "stream.events", "run_id": None, "rows": [[None, seq, "state_update", f'{{"k":{k}}}']]})
    try:
        async with asyncio.timeout(3):  # far below the idle safety re-read (minutes on this layer)
            while b"".join(consumer.written).count(b"event: state_update") < 5:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
    text = b"".join(consumer.written).decode()
    ids = [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]
    assert ids == seqs


@pytest.mark.django_db(transaction=True)
async def test_run_stream_end_naming_unsent_events_reads_them_first():
    """Every event announcement was lost; the run's stream.end (last_seq 3) makes the stream read them."""
    from django.utils import timezone

    from runs.models import Run, RunStatus
    from streaming.services import store_run_events

    def make_run():
        thread = Thread.objects.create_now(metadata={})
        run = Run.objects.create(thread=thread, assistant_id=thread.pk, graph_id="g", available_at=timezone.now(),
                                 status=RunStatus.SUCCESS)
        store_run_events(thread_id=thread.pk, run_id=run.pk, first_seq=1,
                         frames=[("metadata", "{}"), ("values", '{"a":1}'), ("values", '{"a":2}')])
        return run

    layer = ThreadSafeInMemoryChannelLayer()
    consumer = _listener(layer)
    consumer.channel_name = await layer.new_channel()
    run = await sync_to_async(make_run)()
    task = asyncio.create_task(follow.follow_run(consumer, run_id=run.pk, is_over=run_is_over, after=0, subscribed_new=True))
    while not consumer._groups:
        await asyncio.sleep(0.01)
    await layer.group_send(notify.run_group(run.pk), {"type": "stream.end", "run_id": str(run.pk),
                                                      "status": "success", "last_seq": 3})
    async with asyncio.timeout(3):
        await task
    text = b"".join(consumer.written).decode()
    assert [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")] == [1, 2, 3]


def _running_run_with_three_events():
    from django.utils import timezone

    from runs.models import Run, RunStatus
    from streaming.services import store_run_events

    thread = Thread.objects.create_now(metadata={})
    run = Run.objects.create(thread=thread, assistant_id=thread.pk, graph_id="g", available_at=timezone.now(),
                             status=RunStatus.RUNNING)
    rows = store_run_events(thread_id=thread.pk, run_id=run.pk, first_seq=1,
                            frames=[("metadata", "{}"), ("values", '{"a":1}'), ("values", '{"a":2}')])
    return run, rows


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("executes_here", [False, True])
async def test_a_late_redis_join_rereads_only_a_run_of_another_process(executes_here):
    """``stream.resync`` (the layer's other processes joined late) makes a run stream re-read the
    database, unless the run executes in this process: its announcements never cross processes."""
    layer = ThreadSafeInMemoryChannelLayer()
    consumer = _listener(layer)
    consumer.channel_name = await layer.new_channel()
    consumer.announced_here = executes_here  # what CreateRunMixin.create sets from runs.services.executes_here
    run, rows = await sync_to_async(_running_run_with_three_events)()
    task = asyncio.create_task(follow.follow_run(consumer, run_id=run.pk, is_over=run_is_over, after=0,
                                                 subscribed_new=True))
    try:
        while not consumer._groups:
            await asyncio.sleep(0.01)
        await layer.send(consumer.channel_name, {"type": "stream.resync"})  # the events were never announced
        await asyncio.sleep(0.3)

        def ids():
            text = b"".join(consumer.written).decode()
            return [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]

        assert ids() == ([] if executes_here else [1, 2, 3])
        # the announcement that a run of this process does send, rows included: nothing re-read
        await layer.group_send(notify.run_group(run.pk), notify.build_event_messages(
            thread_id=run.thread_id, run_id=run.pk, rows=rows)[1])
        async with asyncio.timeout(3):
            while len(ids()) < 3:
                await asyncio.sleep(0.02)
        assert ids() == [1, 2, 3]
    finally:
        task.cancel()
