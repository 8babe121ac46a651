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
