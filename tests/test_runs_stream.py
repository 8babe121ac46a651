"""Create-and-stream runs through the real SDK and raw HTTP: every stream mode, errors, interrupts."""
import pytest

from tests.helpers import collect, new_id, parse_sse

HI = {"messages": [{"type": "human", "content": "hi"}]}


async def stream(sdk, graph, thread_id=None, **kwargs):
    if thread_id is None:
        return await collect(sdk.runs.stream(None, graph, **kwargs))
    return await collect(sdk.runs.stream(thread_id, graph, if_not_exists="create", **kwargs))


async def test_values_stream_first_event_is_metadata(sdk):
    parts = await stream(sdk, "steps", new_id(), input={})
    assert parts[0][0] == "metadata"
    assert set(parts[0][1]) == {"run_id", "attempt"} and parts[0][1]["attempt"] == 1
    values = [data for event, data in parts if event == "values"]
    assert values[-1] == {"counter": 3, "log": ["one", "two", "three"]}
    assert [v["counter"] for v in values] == [1, 2, 3]


async def test_updates_and_custom_interleave_per_step(sdk):
    parts = await stream(sdk, "steps", new_id(), input={}, stream_mode=["updates", "custom"])
    names = [event for event, _ in parts[1:]]
    assert names == ["custom", "custom", "updates"] * 3
    assert parts[3] == ("updates", {"one": {"counter": 1, "log": ["one"]}})
    assert parts[1] == ("custom", {"node": "one", "phase": "start"})


async def test_messages_tuple_streams_token_chunks(sdk):
    parts = await stream(sdk, "chat", new_id(), input=HI, stream_mode="messages-tuple")
    chunks = [data for event, data in parts if event == "messages"]
    assert len(chunks) > 3
    message, metadata = chunks[0]
    assert message["type"] == "AIMessageChunk"
    assert metadata["langgraph_node"] == "chat_node" and metadata["graph_id"] == "chat"
    assert "".join(m["content"] for m, _ in chunks) == "Hello there! You said: hi"


async def test_messages_mode_accumulates_partials(sdk):
    parts = await stream(sdk, "chat", new_id(), input=HI, stream_mode="messages")
    events = [event for event, _ in parts]
    assert events[1] == "messages/metadata"
    partials = [data for event, data in parts if event == "messages/partial"]
    assert partials[-1][0]["content"] == "Hello there! You said: hi"
    assert partials[-1][0]["type"] == "ai"
    assert len(partials[0][0]["content"]) < len(partials[-1][0]["content"])


async def test_messages_mode_complete_for_plain_message(sdk):
    parts = await stream(sdk, "echo", new_id(), input=HI, stream_mode="messages")
    complete = [data for event, data in parts if event == "messages/complete"]
    assert complete and complete[0][0]["content"] == "echo: hi"


@pytest.mark.parametrize("mode", ["debug", "tasks", "checkpoints"])
async def test_debug_tasks_checkpoints_modes(sdk, mode):
    parts = await stream(sdk, "steps", new_id(), input={}, stream_mode=mode)
    frames = [data for event, data in parts if event == mode]
    assert frames, parts
    if mode == "debug":
        assert {f["type"] for f in frames} >= {"checkpoint", "task", "task_result"}
    elif mode == "tasks":
        results = [f for f in frames if "result" in f]
        assert [r["name"] for r in results] == ["one", "two", "three"]
    else:
        assert frames[-1]["values"] == {"counter": 3, "log": ["one", "two", "three"]}
        assert "checkpoint_id" in frames[-1]["config"]["configurable"]


async def test_events_mode_uses_run_id_as_root(sdk):
    parts = await stream(sdk, "chat", None, input=HI, stream_mode="events")
    run_id = parts[0][1]["run_id"]
    events = [data for event, data in parts if event == "events"]
    assert events[0]["event"] == "on_chain_start" and events[0]["run_id"] == run_id
    assert any(e["event"] == "on_chat_model_stream" for e in events)


async def test_subgraph_events_are_namespaced(sdk):
    parts = await stream(sdk, "sub", None, input={"value": "v"}, stream_mode=["values", "custom"], stream_subgraphs=True)
    child = [event for event, _ in parts if "|" in event]
    assert any(e.startswith("values|child:") for e in child)
    assert any(e.startswith("custom|child:") for e in child)
    plain = await stream(sdk, "sub", None, input={"value": "v"}, stream_mode=["values", "custom"])
    assert not any("|" in event for event, _ in plain)
    assert plain[-1][1]["value"] == "v+pre+a+b+post"


async def test_error_in_node_ends_stream_with_error_event(sdk):
    thread_id = new_id()
    parts = await stream(sdk, "fail", thread_id, input={})
    assert parts[-1] == ("error", {"error": "ValueError", "message": "boom: deliberate failure"})
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "error"
    runs = await sdk.runs.list(thread_id)
    assert runs[0]["status"] == "error"


async def test_interrupt_then_resume(sdk):
    thread_id = new_id()
    parts = await stream(sdk, "hitl", thread_id, input={"question": "ship?"}, stream_mode=["updates"])
    interrupt = parts[-1][1]["__interrupt__"][0]
    assert interrupt["value"] == {"question": "ship?"} and len(interrupt["id"]) == 32
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "interrupted"
    assert list(thread["interrupts"].values())[0][0]["value"] == {"question": "ship?"}
    parts = await stream(sdk, "hitl", thread_id, command={"resume": "yes"}, stream_mode=["updates"])
    assert ("updates", {"ask": {"answer": "yes"}}) in parts
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "idle" and thread["interrupts"] == {}
    assert thread["values"] == {"question": "ship?", "answer": "yes", "done": True}


async def test_interrupt_before_and_continue_with_null_input(sdk):
    thread_id = new_id()
    await stream(sdk, "steps", thread_id, input={}, interrupt_before=["two"])
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "interrupted" and thread["values"]["counter"] == 1
    await stream(sdk, "steps", thread_id, input=None)
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "idle" and thread["values"]["counter"] == 3


async def test_raw_wire_format(ahttp):
    async with ahttp.stream("POST", "/runs/stream", json={"assistant_id": "steps", "input": {}, "stream_mode": "updates"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        run_path = response.headers["content-location"]
        assert response.headers["location"] == f"{run_path}/stream"
        body = (await response.aread()).decode()
    assert "\r\n" in body and body.startswith("event: metadata\r\ndata: {")
    frames = parse_sse(body)
    assert [int(f[2]) for f in frames] == list(range(1, len(frames) + 1))
    assert frames[1][1] == {"one": {"counter": 1, "log": ["one"]}}


async def test_stateless_wait_and_temporary_thread_deleted(ahttp):
    response = await ahttp.post("/runs/wait", json={"assistant_id": "echo", "input": HI})
    assert response.status_code == 200
    assert response.json()["messages"][-1]["content"] == "echo: hi"
    thread_path = response.headers["content-location"].rsplit("/runs/", 1)[0]
    assert (await ahttp.get(thread_path)).status_code == 404


async def test_stateless_keep_thread(ahttp):
    response = await ahttp.post("/runs/wait", json={"assistant_id": "echo", "input": HI, "on_completion": "keep"})
    thread_path = response.headers["content-location"].rsplit("/runs/", 1)[0]
    thread = (await ahttp.get(thread_path)).json()
    assert thread["values"]["messages"][-1]["content"] == "echo: hi"


async def test_thread_wait_returns_values_and_interrupts(sdk):
    thread_id = new_id()
    result = await sdk.runs.wait(thread_id, "steps", input={}, if_not_exists="create")
    assert result == {"counter": 3, "log": ["one", "two", "three"]}
    result = await sdk.runs.wait(thread_id, "hitl", input={"question": "q"})
    assert result["__interrupt__"][0]["value"] == {"question": "q"}
