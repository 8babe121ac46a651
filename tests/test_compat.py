"""Drop-in compatibility with the reference server (issue #11), through the real langgraph_sdk client:
run context defaults, graph factories taking a ServerRuntime, factories that fail, the ``events``
mode, metadata, history ``before``, the thread stream's ``stream_mode``."""
import asyncio
import time

import pytest

from tests.helpers import collect, new_id


async def wait_run(sdk, graph, **kwargs):
    thread = await sdk.threads.create()
    return thread["thread_id"], await sdk.runs.wait(thread["thread_id"], graph, **kwargs)


# --- run context defaults -------------------------------------------------------------------------

async def test_context_schema_defaults_without_context(sdk):
    for context in (None, {}):
        _, output = await wait_run(sdk, "ctx", input={}, context=context)
        assert output == {"model": "default-model", "temperature": 0.5}


async def test_context_given_overrides_defaults(sdk):
    _, output = await wait_run(sdk, "ctx", input={}, context={"model": "m2"})
    assert output == {"model": "m2", "temperature": 0.5}
    assistant = await sdk.assistants.create("ctx", context={"temperature": 0.9})
    _, output = await wait_run(sdk, assistant["assistant_id"], input={})
    assert output == {"model": "default-model", "temperature": 0.9}


# --- graph factories --------------------------------------------------------------------------------

async def test_factory_taking_a_server_runtime(sdk):
    _, output = await wait_run(sdk, "runtime_factory", input={}, context={"k": "v"})
    assert output == {"access_context": "threads.create_run", "context": {"k": "v"}, "has_store": True}
    system = (await sdk.assistants.search(graph_id="runtime_factory", metadata={"created_by": "system"}))[0]
    schemas = await sdk.assistants.get_schemas(system["assistant_id"])
    assert "access_context" in schemas["state_schema"]["properties"]


async def test_async_context_manager_factory_taking_config_and_runtime(sdk):
    _, output = await wait_run(sdk, "config_runtime_factory", input={})
    assert output["access_context"] == "threads.create_run"
    assert output["context"] == {"graph_id": "config_runtime_factory"}


@pytest.mark.parametrize("graph,error,message", [
    ("failing_factory", "RuntimeError", "factory failed on purpose"),
    ("junk_factory", "GraphConfigError", "expected a compiled graph"),
])
async def test_failing_factory_fails_the_run_at_once(sdk, graph, error, message):
    started = time.monotonic()
    thread = await sdk.threads.create()
    tid = thread["thread_id"]
    parts = await asyncio.wait_for(collect(sdk.runs.stream(tid, graph, input={})), 10)
    assert [event for event, _ in parts] == ["metadata", "error"]
    assert parts[1][1]["error"] == error and message in parts[1][1]["message"]
    run = (await sdk.runs.list(tid))[0]
    assert run["status"] == "error"
    with pytest.raises(Exception, match=message):
        await sdk.runs.wait(tid, graph, input={})
    output = await sdk.runs.wait(tid, graph, input={}, raise_error=False)
    assert output["__error__"]["error"] == error
    run = await sdk.runs.create(tid, graph, input={})
    joined = await sdk.runs.join(tid, run["run_id"])
    assert joined["__error__"]["error"] == error
    assert (await sdk.threads.get(tid))["status"] == "error"
    assert time.monotonic() - started < 10


# --- events mode ------------------------------------------------------------------------------------

async def test_events_mode_sends_root_output_once(sdk):
    parts = await collect(sdk.runs.stream(new_id(), "steps", input={}, if_not_exists="create", stream_mode="events"))
    events = [data["event"] for event, data in parts if event == "events"]
    assert events.count("on_chain_start") == 4 and events.count("on_chain_end") == 4
    assert events.count("on_chain_stream") == 3  # the nodes' outputs; the root's is not repeated
    parts = await collect(sdk.runs.stream(new_id(), "steps", input={}, if_not_exists="create",
                                          stream_mode=["events", "values", "updates"]))
    names = [event for event, _ in parts]
    assert names.count("values") == 3 and names.count("updates") == 3
    assert len(parts) == 1 + 11 + 6
    root = parts[0][1]["run_id"]
    assert not [d for e, d in parts if e == "events" and d["event"] == "on_chain_stream" and d["run_id"] == root]


# --- metadata, object shapes ------------------------------------------------------------------------

async def test_run_and_checkpoint_metadata_flow_like_the_reference(sdk):
    assistant = await sdk.assistants.create("steps", metadata={"team": "a", "shared": "assistant"})
    thread = await sdk.threads.create(metadata={"owner": "bob", "shared": "thread"})
    tid, aid = thread["thread_id"], assistant["assistant_id"]
    assert thread["config"] == {}
    await sdk.runs.wait(tid, aid, input={}, metadata={"req": 1, "shared": "request"})
    (run,) = await sdk.runs.list(tid)
    assert run["metadata"] == {"team": "a", "owner": "bob", "graph_id": "steps", "assistant_id": aid,
                               "req": 1, "shared": "request"}
    assert set(run["kwargs"]) == {"input", "command", "config", "context", "stream_mode", "interrupt_before",
                                  "interrupt_after", "webhook", "feedback_keys", "temporary", "subgraphs",
                                  "resumable", "checkpoint_during", "durability"}
    assert run["kwargs"]["checkpoint_during"] is True and run["kwargs"]["temporary"] is False
    configurable = run["kwargs"]["config"]["configurable"]
    assert configurable["run_id"] == run["run_id"] and configurable["thread_id"] == tid
    assert configurable["graph_id"] == "steps" and configurable["assistant_id"] == aid
    assert run["kwargs"]["config"]["metadata"] == {**run["metadata"], "run_attempt": 1}
    assert (await sdk.threads.get(tid))["config"] == {"configurable": {}}
    history = await sdk.threads.get_history(tid)
    metadata = history[0]["metadata"]
    assert metadata["owner"] == "bob" and metadata["thread_id"] == tid and metadata["team"] == "a"
    assert metadata["shared"] == "request" and metadata["graph_id"] == "steps"
    for filt in ({"owner": "bob"}, {"thread_id": tid}, {"req": 1}):
        assert len(await sdk.threads.get_history(tid, metadata=filt)) == len(history) == 5
    assert await sdk.threads.get_history(tid, metadata={"owner": "alice"}) == []


async def test_history_before_as_a_checkpoint_config(sdk):
    tid, _ = await wait_run(sdk, "steps", input={})
    history = await sdk.threads.get_history(tid, limit=10)
    before = await sdk.threads.get_history(tid, before={"configurable": {"checkpoint_id": history[1]["checkpoint_id"]}})
    assert [s["checkpoint_id"] for s in before] == [s["checkpoint_id"] for s in history[2:]]


async def test_wait_interrupt_has_the_stream_shape(sdk):
    tid, output = await wait_run(sdk, "hitl", input={"question": "ok?"})
    (interrupt,) = output["__interrupt__"]
    assert set(interrupt) == {"value", "id", "response_schema"} and interrupt["value"] == {"question": "ok?"}
    state = await sdk.threads.get_state(tid)
    assert state["interrupts"] == [{"id": interrupt["id"], "value": {"question": "ok?"}}]


async def test_debug_checkpoint_payloads_carry_checkpoint_objects(sdk):
    thread = await sdk.threads.create()
    tid = thread["thread_id"]
    parts = await collect(sdk.runs.stream(tid, "steps", input={}, stream_mode="debug"))
    checkpoints = [d["payload"] for e, d in parts if e == "debug" and d["type"] == "checkpoint"]
    assert len(checkpoints) == 5 and checkpoints[0]["parent_checkpoint"] is None
    first, second = checkpoints[0]["checkpoint"], checkpoints[1]
    assert first == {"checkpoint_id": first["checkpoint_id"], "thread_id": tid, "checkpoint_ns": ""}
    assert second["parent_checkpoint"] == first
    assert second["checkpoint"]["checkpoint_id"] == second["config"]["configurable"]["checkpoint_id"]


async def test_thread_stream_accepts_the_sdks_stream_mode(sdk):
    thread = await sdk.threads.create()
    tid = thread["thread_id"]
    received = []

    async def read():
        async for part in await sdk.threads.join_stream(tid, stream_mode="lifecycle"):
            received.append((part.event, part.data))
            if part.event == "metadata" and part.data.get("status") == "run_done":
                return

    reader = asyncio.create_task(read())
    await asyncio.sleep(0.3)
    await sdk.runs.wait(tid, "steps", input={})
    await asyncio.wait_for(reader, 10)
    assert [e for e, _ in received] == ["metadata", "metadata"]


# --- a second server on the same database, with other graphs and a 1 s heartbeat --------------------

@pytest.fixture(scope="module")
def other_server(agent_server, tmp_path_factory):
    """Server B: same database (and checkpointer) as the session's server A, another langgraph.json:
    ``echo``, ``slow`` and ``b_only`` (A has no ``b_only``; B has no ``steps``)."""
    import json

    from tests.conftest import GRAPHS_CONFIG, LiveServer, free_port

    folder = tmp_path_factory.mktemp("server-b")
    graphs = GRAPHS_CONFIG.parent / "graphs.py"
    config = folder / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"echo": f"{graphs}:echo", "slow": f"{graphs}:slow",
                                             "b_only": f"{graphs}:steps"}}))
    env = {**agent_server.env, "LANGGRAPH_CONFIG": str(config), "AGENTSERVER_HEARTBEAT_SECONDS": "1"}
    server = LiveServer(env, free_port(), folder / "server.log").start()
    yield server
    server.stop()


@pytest.fixture
def sdk_b(other_server):
    from langgraph_sdk import get_client

    return get_client(url=other_server.url, api_key=None)


async def test_each_server_claims_only_runs_of_graphs_it_loaded(sdk, sdk_b):
    # after_seconds: not handed to the creating process's executor, so both servers' scans see them
    created = []
    for client, graph in ((sdk, "steps"), (sdk_b, "b_only")) * 3:
        thread = await client.threads.create()
        run = await client.runs.create(thread["thread_id"], graph, input={}, after_seconds=1)
        created.append((client, thread["thread_id"], run["run_id"]))
    for client, tid, rid in created:
        await asyncio.wait_for(client.runs.join(tid, rid), 20)
        run = await client.runs.get(tid, rid)
        assert run["status"] == "success", run
        assert (await client.threads.get_state(tid))["values"]["counter"] == 3


async def test_wait_and_join_keep_alive_while_events_flow(other_server):
    import httpx

    async with httpx.AsyncClient(base_url=other_server.url, timeout=30) as client:
        tid = new_id()
        body = {"assistant_id": "slow", "input": {"n": 30, "delay": 0.1}, "stream_mode": ["custom"],
                "if_not_exists": "create"}
        started = time.monotonic()
        async with client.stream("POST", f"/threads/{tid}/runs/wait", json=body) as response:
            chunks = [(time.monotonic() - started, chunk) async for chunk in response.aiter_bytes() if chunk]
        newlines = [t for t, chunk in chunks if chunk.strip() == b""]
        assert len(newlines) >= 2 and newlines[0] < 1.6, chunks
        assert b'"ticks"' in chunks[-1][1]
        run = (await client.post(f"/threads/{tid}/runs", json=body)).json()
        started = time.monotonic()
        async with client.stream("GET", f"/threads/{tid}/runs/{run['run_id']}/join") as response:
            chunks = [(time.monotonic() - started, chunk) async for chunk in response.aiter_bytes() if chunk]
        assert len([t for t, chunk in chunks if chunk.strip() == b""]) >= 2


# --- create, then join ----------------------------------------------------------------------------

async def test_create_then_join_gets_the_run_from_its_first_event(sdk):
    for _ in range(5):
        thread = await sdk.threads.create()
        tid = thread["thread_id"]
        run = await sdk.runs.create(tid, "steps", input={}, stream_mode=["values", "custom"])
        parts = await collect(sdk.runs.join_stream(tid, run["run_id"]))
        assert parts[0] == ("metadata", {"run_id": run["run_id"], "attempt": 1})
        assert [e for e, _ in parts].count("values") == 3 and [e for e, _ in parts].count("custom") == 6
    # a finished run, joined without Last-Event-ID, ends at once with nothing
    assert await collect(sdk.runs.join_stream(tid, run["run_id"])) == []


# --- protocol v2 ------------------------------------------------------------------------------------

async def test_v2_run_start_creates_the_thread_and_replays_its_run(ahttp, base_url):
    from tests.test_protocol_v2 import command, lifecycle_done, read_events

    thread_id = new_id()
    reply = (await command(ahttp, thread_id, {"id": 1, "method": "run.start",
                                              "params": {"assistant_id": "steps", "input": {}}})).json()
    assert reply["type"] == "success"
    run_url = f"/threads/{thread_id}/runs/{reply['result']['run_id']}"
    for _ in range(100):  # over before we subscribe
        if (await ahttp.get(run_url)).json()["status"] == "success":
            break
        await asyncio.sleep(0.05)
    frames = await read_events(base_url, thread_id, {"channels": ["values", "lifecycle", "tools"]}, until=lifecycle_done)
    assert [e for e, _, _ in frames] == ["lifecycle", "values", "values", "values", "lifecycle"]
    assert (await ahttp.get(f"/threads/{thread_id}")).json()["metadata"]["graph_id"] == "steps"


async def test_v2_failed_lifecycle_subgraphs_and_compact_messages(ahttp, base_url):
    from tests.test_protocol_v2 import command, lifecycle_done, read_events

    async def run(graph, graph_input, channels, until=lifecycle_done):
        thread_id = new_id()
        await command(ahttp, thread_id, {"id": 1, "method": "run.start", "params": {"assistant_id": graph, "input": graph_input}})
        return await read_events(base_url, thread_id, {"channels": channels}, until=until)

    frames = await run("fail", {}, ["lifecycle"], until=lambda f: lifecycle_done(f, "failed"))
    assert frames[-1][1]["params"]["data"] == {"event": "failed", "graph_name": "fail", "error": "boom: deliberate failure"}

    def root_completed(frames):
        return any(e == "lifecycle" and not d["params"]["namespace"] and d["params"]["data"]["event"] == "completed"
                   for e, d, _ in frames)

    frames = await run("sub", {"value": "v"}, ["lifecycle", "values"], until=root_completed)
    lifecycle = [(d["params"]["namespace"], d["params"]["data"]) for e, d, _ in frames if e == "lifecycle"]
    (child,) = {tuple(ns) for ns, _ in lifecycle if ns}
    assert child[0].startswith("child:")
    assert [data["event"] for _, data in lifecycle] == ["running", "started", "completed", "completed"]
    assert lifecycle[1][1] == {"event": "started", "namespace": list(child), "graph_name": "child",
                               "trigger_call_id": child[0].split(":", 1)[1]}
    child_values = [d["params"]["data"] for e, d, _ in frames if e == "values" and d["params"]["namespace"]]
    assert child_values[-1] == {"value": "v+pre+a+b"}

    frames = await run("echo", {"messages": [{"type": "human", "content": "hi", "name": "bob"}]}, ["values", "lifecycle"])
    last = [d["params"]["data"] for e, d, _ in frames if e == "values"][-1]
    human, ai = last["messages"]
    assert human == {"type": "human", "content": "hi", "id": human["id"], "name": "bob"}
    assert ai == {"type": "ai", "content": "echo: hi", "id": ai["id"]}


async def test_v2_commands_the_reference_accepts(ahttp):
    from tests.test_protocol_v2 import command

    thread_id = new_id()
    await ahttp.post("/threads", json={"thread_id": thread_id})
    reply = (await command(ahttp, thread_id, {"id": 1, "method": "agent.getTree", "params": {}})).json()
    assert reply == {"type": "error", "id": 1, "error": "no_such_run", "message": "No active run is bound to this thread."}
    reply = (await command(ahttp, thread_id, {"id": 2, "method": "subscription.subscribe",
                                              "params": {"channels": ["values"]}})).json()
    assert reply["type"] == "success" and reply["result"]["replayed_events"] == 0
    subscription_id = reply["result"]["subscription_id"]
    reply = (await command(ahttp, thread_id, {"id": 3, "method": "subscription.unsubscribe",
                                              "params": {"subscription_id": "x"}})).json()
    assert reply["error"] == "no_such_subscription"
    reply = (await command(ahttp, thread_id, {"id": 4, "method": "subscription.unsubscribe",
                                              "params": {"subscription_id": subscription_id}})).json()
    assert reply["type"] == "success"
    reply = (await command(ahttp, thread_id, {"id": 5, "method": "subscription.reconnect", "params": {}})).json()
    assert reply["error"] == "no_such_run"


async def test_factory_runtime_access_contexts(sdk):
    tid, _ = await wait_run(sdk, "runtime_factory", input={})
    # the state is read through a graph the factory built for threads.read; an update for threads.update
    assert (await sdk.threads.get_state(tid))["values"]["access_context"] == "threads.create_run"
    await sdk.threads.update_state(tid, {"has_store": False})
    assert (await sdk.threads.get_state(tid))["values"]["has_store"] is False
    system = (await sdk.assistants.search(graph_id="failing_factory", metadata={"created_by": "system"}))[0]
    graph = await sdk.assistants.get_graph(system["assistant_id"])  # built for assistants.read: no failure
    assert [n["id"] for n in graph["nodes"]] == ["__start__", "ok", "__end__"]
