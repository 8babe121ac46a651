"""Thread state through DRF's test client: get/update state, checkpoints, history, supersteps."""
import uuid
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from agentserver import runtime
from agentserver.persistence import get_checkpointer
from runs.models import Run
from streaming.models import Event
from threads import snapshots, state
from threads.models import Thread

pytestmark = pytest.mark.django_db

STATE_KEYS = ["values", "next", "tasks", "metadata", "created_at", "checkpoint", "parent_checkpoint", "interrupts",
              "checkpoint_id", "parent_checkpoint_id"]
TASK_KEYS = ["id", "name", "path", "error", "interrupts", "checkpoint", "state", "result"]
EMPTY = {"values": {}, "next": [], "tasks": [], "metadata": None, "created_at": None, "checkpoint": None,
         "parent_checkpoint": None, "interrupts": [], "checkpoint_id": None, "parent_checkpoint_id": None}
MISSING = "00000000-0000-0000-0000-000000000001"
UNKNOWN_CHECKPOINT = "1f1e62e3-77e6-62ac-8002-9e7711ccbc9c"
GRAPHS = "['builder', 'chat', 'config_runtime_factory', 'ctx', 'echo', 'factory', 'fail', 'failing_factory', 'hitl', 'junk_factory', 'runtime_factory', 'slow', 'steps', 'sub']"


def new_thread(api, **metadata):
    response = api.post("/threads", {"metadata": metadata}, format="json")
    assert response.status_code == 200
    return response.json()["thread_id"]


def update(api, thread_id, **body):
    return api.post(f"/threads/{thread_id}/state", body, format="json")


def updated(api, thread_id, **body):
    response = update(api, thread_id, **body)
    assert response.status_code == 200, response.content
    return response.json()


def detail(response):
    return response.json()["detail"]


def checkpoint_count(thread_id):
    async def count():
        checkpointer = await get_checkpointer()
        return len([c async for c in checkpointer.alist({"configurable": {"thread_id": str(thread_id)}})])

    return runtime.call(count())


def run_graph(graph_id, thread_id, graph_input, **kwargs):
    """Run a graph on the thread's checkpoints directly (no runs API needed)."""
    async def go():
        config = {"configurable": {"thread_id": str(thread_id)}}
        async with state.open_graph(graph_id, config) as graph:
            await graph.ainvoke(graph_input, config, **kwargs)

    runtime.call(go())


# --- reading -----------------------------------------------------------------------------------
def test_state_of_threads_without_checkpoints_is_empty(api):
    for tid in (new_thread(api), new_thread(api, graph_id="steps")):
        response = api.get(f"/threads/{tid}/state")
        assert response.status_code == 200 and response.json() == EMPTY
        assert list(response.json()) == STATE_KEYS
        assert api.get(f"/threads/{tid}/history").json() == []
        assert api.post(f"/threads/{tid}/history", {}, format="json").json() == []


def test_state_at_unknown_checkpoint(api):
    tid = new_thread(api, graph_id="steps")
    body = api.get(f"/threads/{tid}/state/{UNKNOWN_CHECKPOINT}").json()
    assert body["values"] == {} and body["checkpoint_id"] == UNKNOWN_CHECKPOINT
    assert body["checkpoint"]["checkpoint_id"] == UNKNOWN_CHECKPOINT and body["checkpoint"]["thread_id"] == tid
    assert api.get(f"/threads/{new_thread(api)}/state/{UNKNOWN_CHECKPOINT}").json() == EMPTY


def test_every_state_endpoint_404s_for_a_missing_thread_and_422s_for_a_bad_id(api):
    calls = [
        ("get", "state", None), ("get", f"state/{UNKNOWN_CHECKPOINT}", None), ("get", "history", None),
        ("post", "history", {}), ("post", "state", {"values": {}}), ("post", "state/checkpoint", {"checkpoint": {}}),
    ]
    for method, suffix, body in calls:
        response = getattr(api, method)(f"/threads/{MISSING}/{suffix}", body, format="json")
        assert response.status_code == 404, suffix
        assert response.json() == {"detail": f"Thread with ID {MISSING} not found"}
        response = getattr(api, method)(f"/threads/abc/{suffix}", body, format="json")
        assert response.status_code == 422, suffix
        assert response.json() == {"detail": "Invalid thread ID: must be a UUID"}


def test_bad_query_parameters_are_422(api):
    tid = new_thread(api, graph_id="steps")
    for url, field in [
        (f"/threads/{tid}/state?subgraphs=bogus", "subgraphs"),
        (f"/threads/{tid}/state/{UNKNOWN_CHECKPOINT}?subgraphs=bogus", "subgraphs"),
        (f"/threads/{tid}/history?limit=x", "limit"),
        (f"/threads/{tid}/history?limit=-1", "limit"),
        (f"/threads/{tid}/history?before=nope", "before"),
    ]:
        response = api.get(url)
        assert response.status_code == 422 and field in detail(response), url
    response = api.get(f"/threads/{tid}/state/not-a-checkpoint")
    assert response.status_code == 422 and response.json() == {"detail": "Invalid checkpoint ID"}


# --- updating ----------------------------------------------------------------------------------
def test_update_state_writes_a_checkpoint_and_mirrors_it_on_the_thread(api):
    tid = new_thread(api, graph_id="steps")
    created = Thread.objects.get(pk=tid)
    body = updated(api, tid, values={"counter": 5, "log": ["x"]})
    assert list(body) == ["checkpoint", "configurable", "checkpoint_id"]
    assert body["checkpoint"] == body["configurable"] == {
        "thread_id": tid, "checkpoint_ns": "", "checkpoint_id": body["checkpoint_id"]}

    got = api.get(f"/threads/{tid}/state").json()
    assert list(got) == STATE_KEYS
    assert got["values"] == {"counter": 5, "log": ["x"]} and got["next"] == ["one"]
    assert got["checkpoint"] == {"checkpoint_id": body["checkpoint_id"], "thread_id": tid, "checkpoint_ns": ""}
    assert got["checkpoint_id"] == body["checkpoint_id"] and got["parent_checkpoint"] is None
    assert got["metadata"]["source"] == "update" and got["metadata"]["step"] == 0
    assert got["metadata"]["graph_id"] == "steps"
    assert list(got["tasks"][0]) == TASK_KEYS
    assert got["tasks"][0]["name"] == "one" and got["tasks"][0]["path"] == ["__pregel_pull", "one"]

    thread = api.get(f"/threads/{tid}").json()
    assert thread["values"] == {"counter": 5, "log": ["x"]} and thread["status"] == "interrupted"
    assert thread["error"] is None and thread["interrupts"] == {}
    assert thread["state_updated_at"] == thread["updated_at"] > thread["created_at"]
    stored = Thread.objects.get(pk=tid)
    assert stored.values == {"counter": 5, "log": ["x"]} and stored.state_updated_at > created.state_updated_at

    event = Event.objects.get(thread_id=tid)
    assert event.event == "state_update" and event.run_id is None
    assert orjson.loads(event.data) == {"state": got, "thread_id": tid}


def test_update_as_node_applies_reducers_and_computes_next(api):
    tid = new_thread(api, graph_id="steps")
    first = updated(api, tid, values={"counter": 1, "log": ["a"]})
    second = updated(api, tid, values={"counter": 2, "log": ["b"]}, as_node="one")
    got = api.get(f"/threads/{tid}/state").json()
    assert got["values"] == {"counter": 2, "log": ["a", "b"]} and got["next"] == ["two"]
    assert got["parent_checkpoint_id"] == first["checkpoint_id"] and got["checkpoint_id"] == second["checkpoint_id"]
    updated(api, tid, values={"counter": 3}, as_node="three")
    assert api.get(f"/threads/{tid}/state").json()["next"] == []
    assert api.get(f"/threads/{tid}").json()["status"] == "idle"
    assert Event.objects.filter(thread_id=tid, event="state_update").count() == 3


def test_messages_are_stored_and_returned_as_model_dumps(api):
    tid = new_thread(api, graph_id="echo")
    updated(api, tid, values={"messages": [{"role": "user", "content": "hi"}]})
    message = api.get(f"/threads/{tid}/state").json()["values"]["messages"][0]
    assert message["type"] == "human" and message["content"] == "hi" and isinstance(message["id"], str)
    assert {"additional_kwargs", "response_metadata", "name"} <= set(message)
    assert Thread.objects.get(pk=tid).values == {"messages": [message]}
    response = update(api, tid, values={"messages": [5]})
    assert response.status_code == 400
    assert Thread.objects.get(pk=tid).values == {"messages": [message]}


def test_update_with_null_or_missing_values(api):
    tid = new_thread(api, graph_id="steps")
    updated(api, tid, values={"counter": 1})
    updated(api, tid, values=None)
    response = api.post(f"/threads/{tid}/state", {}, format="json")
    assert response.status_code == 200
    assert api.get(f"/threads/{tid}/state").json()["values"]["counter"] == 1


def test_update_at_an_older_checkpoint_forks(api):
    tid = new_thread(api, graph_id="steps")
    first = updated(api, tid, values={"counter": 1, "log": ["a"]})
    updated(api, tid, values={"counter": 2, "log": ["b"]}, as_node="one")
    fork = updated(api, tid, values={"counter": 10}, as_node="one",
                   checkpoint={"checkpoint_id": first["checkpoint_id"]})
    got = api.get(f"/threads/{tid}/state").json()
    assert got["checkpoint_id"] == fork["checkpoint_id"] and got["parent_checkpoint_id"] == first["checkpoint_id"]
    assert got["values"] == {"counter": 10, "log": ["a"]}
    fork2 = updated(api, tid, values={"counter": 11}, as_node="one", checkpoint_id=first["checkpoint_id"])
    assert api.get(f"/threads/{tid}/state").json()["parent_checkpoint_id"] == first["checkpoint_id"]
    assert fork2["checkpoint_id"] != fork["checkpoint_id"]


def assert_unchanged(api, tid, before_thread, before_count):
    assert Thread.objects.get(pk=tid).values == before_thread.values
    assert Thread.objects.get(pk=tid).status == before_thread.status
    assert checkpoint_count(tid) == before_count


@pytest.mark.parametrize("body, status, message", [
    ({"values": {"counter": 1}, "as_node": "nope"}, 400, "Node nope does not exist"),
    ({"values": {"log": 5}}, 400, "can only concatenate list"),
    ({"values": [{"counter": 1}]}, 400, "Expected dict"),
    ({"values": "x"}, 422, "values"),
    ({"values": 5}, 422, "values"),
    ({"values": {"counter": 1}, "as_node": 5}, 422, "as_node"),
    ({"values": {"counter": 1}, "checkpoint": "x"}, 422, "checkpoint"),
    ({"values": {"counter": 1}, "checkpoint": {"checkpoint_id": 5}}, 422, "checkpoint.checkpoint_id"),
    ({"values": {"counter": 1}, "checkpoint_id": "nope"}, 422, "Invalid checkpoint ID"),
    ({"values": {"counter": 1}, "checkpoint_id": UNKNOWN_CHECKPOINT}, 422, "Invalid checkpoint ID"),
    ({"values": {"counter": 1}, "checkpoint": {"checkpoint_id": UNKNOWN_CHECKPOINT}}, 422, "Invalid checkpoint ID"),
])
def test_bad_updates_store_nothing(api, body, status, message):
    tid = new_thread(api, graph_id="steps")
    updated(api, tid, values={"counter": 1, "log": ["a"]})
    before = Thread.objects.get(pk=tid)
    response = update(api, tid, **body)
    assert response.status_code == status, response.content
    assert message in detail(response)
    assert_unchanged(api, tid, before, 1)
    assert Event.objects.filter(thread_id=tid).count() == 1


def test_update_without_graph_is_400_and_unknown_graph_404(api):
    tid = new_thread(api)
    response = update(api, tid, values={"counter": 1})
    assert response.status_code == 400
    assert detail(response).startswith(f"Thread '{tid}' has no assigned graph ID.")
    tid = new_thread(api, graph_id="nope")
    response = update(api, tid, values={"counter": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": f"Graph 'nope' not found. Expected one of: {GRAPHS}"}
    assert api.get(f"/threads/{tid}/state").status_code == 404
    assert checkpoint_count(tid) == 0


def test_update_with_runs_in_flight_is_409(api):
    tid = new_thread(api, graph_id="steps")
    run = Run.objects.create(thread_id=tid, assistant_id=uuid.uuid4(), graph_id="steps",
                             available_at=timezone.now() + timedelta(hours=1))
    response = update(api, tid, values={"counter": 1})
    assert response.status_code == 409
    assert detail(response) == f"Thread {tid} has in-flight runs: ['{run.run_id}']"
    assert checkpoint_count(tid) == 0


def test_update_state_bodies_must_be_json_objects(api):
    tid = new_thread(api, graph_id="steps")
    for raw in (b"", b"[]", b"{"):
        response = api.generic("POST", f"/threads/{tid}/state", raw, content_type="application/json")
        assert response.status_code == 422
    assert checkpoint_count(tid) == 0


# --- checkpoints and history ---------------------------------------------------------------------
@pytest.fixture
def three_states(api):
    tid = new_thread(api, graph_id="steps")
    ids = [updated(api, tid, values={"counter": i, "log": [str(i)]}, as_node="one")["checkpoint_id"]
           for i in range(3)]
    return tid, ids


def test_state_at_a_checkpoint(api, three_states):
    tid, ids = three_states
    body = api.get(f"/threads/{tid}/state/{ids[0]}").json()
    assert body["values"] == {"counter": 0, "log": ["0"]} and body["checkpoint_id"] == ids[0]
    other = new_thread(api, graph_id="steps")
    for checkpoint in ({"checkpoint_id": ids[1]}, {"checkpoint_id": ids[1], "thread_id": other, "checkpoint_ns": ""}):
        response = api.post(f"/threads/{tid}/state/checkpoint", {"checkpoint": checkpoint}, format="json")
        assert response.status_code == 200
        assert response.json()["values"] == {"counter": 1, "log": ["0", "1"]}
        assert response.json()["checkpoint"]["thread_id"] == tid
    body = api.post(f"/threads/{tid}/state/checkpoint", {"checkpoint": {}, "subgraphs": True}, format="json").json()
    assert body["checkpoint_id"] == ids[2]


@pytest.mark.parametrize("body, field", [
    ({}, "checkpoint"), ({"checkpoint": "x"}, "checkpoint"), ({"checkpoint": {"checkpoint_id": 5}}, "checkpoint_id"),
    ({"checkpoint": {"checkpoint_id": "nope"}}, "Invalid checkpoint ID"),
    ({"checkpoint": {}, "subgraphs": "x"}, "subgraphs"), ({"checkpoint": {"checkpoint_map": 1}}, "checkpoint_map"),
])
def test_state_checkpoint_rejects_bad_fields(api, body, field):
    tid = new_thread(api, graph_id="steps")
    response = api.post(f"/threads/{tid}/state/checkpoint", body, format="json")
    assert response.status_code == 422 and field in detail(response)


def test_history_get(api, three_states):
    tid, ids = three_states
    history = api.get(f"/threads/{tid}/history").json()
    assert [s["checkpoint_id"] for s in history] == list(reversed(ids))
    assert all(list(s) == STATE_KEYS for s in history)
    assert [s["checkpoint_id"] for s in api.get(f"/threads/{tid}/history?limit=1").json()] == [ids[2]]
    assert [s["checkpoint_id"] for s in api.get(f"/threads/{tid}/history?before={ids[2]}").json()] == [ids[1], ids[0]]
    assert api.get(f"/threads/{tid}/history?limit=0").json() == []


def test_history_post(api, three_states):
    tid, ids = three_states
    post = lambda **body: [s["checkpoint_id"] for s in  # noqa: E731
                           api.post(f"/threads/{tid}/history", body, format="json").json()]
    assert post() == [ids[2]]
    assert post(limit=10) == list(reversed(ids))
    assert post(limit=10, before=ids[2]) == [ids[1], ids[0]]
    assert post(limit=10, before={"checkpoint_id": ids[1], "thread_id": tid, "checkpoint_ns": ""}) == [ids[0]]
    assert post(limit=10, metadata={"step": 1}) == [ids[1]]
    assert post(limit=10, metadata={"source": "update"}) == list(reversed(ids))
    assert post(limit=10, checkpoint={"checkpoint_ns": ""}) == list(reversed(ids))
    assert post(limit=10, checkpoint={"checkpoint_ns": "nope:123"}) == []


@pytest.mark.parametrize("body, field", [
    ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "x"}, "limit"), ({"before": 5}, "before"),
    ({"before": "nope"}, "Invalid checkpoint ID"), ({"before": {"checkpoint_id": "nope"}}, "Invalid checkpoint ID"),
    ({"metadata": "x"}, "metadata"), ({"checkpoint": "x"}, "checkpoint"),
    ({"metadata": {"a'b": 1}}, "Invalid filter key"),
])
def test_history_post_rejects_bad_fields(api, body, field):
    tid = new_thread(api, graph_id="steps")
    response = api.post(f"/threads/{tid}/history", body, format="json")
    assert response.status_code == 422 and field in detail(response)


# --- interrupts and subgraphs --------------------------------------------------------------------
def test_interrupted_thread_state_and_mirror(api):
    tid = new_thread(api, graph_id="hitl")
    run_graph("hitl", tid, {"question": "ship it?"})
    got = api.get(f"/threads/{tid}/state").json()
    assert got["values"] == {"question": "ship it?"} and got["next"] == ["ask"]
    interrupt = got["interrupts"][0]
    assert list(interrupt) == ["id", "value"] and interrupt["value"] == {"question": "ship it?"}
    assert got["tasks"][0]["interrupts"] == [interrupt]
    # An update through the API refreshes the thread's mirror, interrupts included.
    updated(api, tid, values={"question": "still?"}, as_node="__start__")
    thread = api.get(f"/threads/{tid}").json()
    assert thread["status"] == "interrupted" and thread["values"] == {"question": "still?"}


def test_thread_mirror_of_an_interrupted_state(api):
    tid = new_thread(api, graph_id="hitl")
    run_graph("hitl", tid, {"question": "q"})
    got = api.get(f"/threads/{tid}/state").json()
    task = got["tasks"][0]
    assert snapshots.thread_mirror(got) == {
        "values": {"question": "q"}, "status": "interrupted", "interrupts": {task["id"]: task["interrupts"]}}
    assert snapshots.thread_mirror(snapshots.empty_state()) == {"values": None, "status": "idle", "interrupts": {}}


def test_subgraph_task_checkpoint_and_state(api):
    tid = new_thread(api, graph_id="sub")
    run_graph("sub", tid, {"value": "v"}, interrupt_before=["child"])
    plain = api.get(f"/threads/{tid}/state").json()
    task = plain["tasks"][0]
    assert task["name"] == "child" and task["state"] is None
    assert task["checkpoint"]["checkpoint_ns"].startswith("child:")
    nested = api.get(f"/threads/{tid}/state?subgraphs=true").json()["tasks"][0]
    assert nested["checkpoint"] is None and list(nested["state"]) == STATE_KEYS


# --- supersteps ----------------------------------------------------------------------------------
def test_create_with_supersteps(api):
    response = api.post("/threads", {"metadata": {"graph_id": "steps"}, "supersteps": [
        {"updates": [{"values": {"counter": 1, "log": ["a"]}, "as_node": "one"}]},
        {"updates": [{"values": {"counter": 2, "log": ["b"]}, "as_node": "two", "command": None}]},
    ]}, format="json")
    assert response.status_code == 200, response.content
    thread = response.json()
    assert thread["values"] == {"counter": 2, "log": ["a", "b"]} and thread["status"] == "interrupted"
    assert thread["error"] is None and thread["interrupts"] == {}
    history = api.get(f"/threads/{thread['thread_id']}/history").json()
    assert [s["next"] for s in history] == [["three"], ["two"]]


def test_create_with_a_command_superstep(api):
    response = api.post("/threads", {"metadata": {"graph_id": "steps"}, "supersteps": [
        {"updates": [{"values": None, "command": {"update": {"counter": 4, "log": ["c"]}}, "as_node": "one"}]},
    ]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["values"] == {"counter": 4, "log": ["c"]}


@pytest.mark.parametrize("metadata, steps, status, message", [
    ({"graph_id": "steps"}, [{"updates": [{"values": {"counter": 1}, "as_node": "bogus"}]}], 400,
     "Node bogus does not exist"),
    ({"graph_id": "steps"}, [{"updates": [{"values": {"counter": 1}, "as_node": "one"},
                                          {"values": {"counter": 2}, "as_node": "two"}]}], 400,
     "Can receive only one value per step"),
    ({"graph_id": "steps"}, [{"updates": []}], 400, "No updates provided"),
    ({"graph_id": "steps"}, [{"updates": [{"values": {"counter": 1}, "as_node": "one"}]},
                             {"updates": [{"values": {"log": 5}, "as_node": "two"}]}], 400, "can only concatenate"),
    ({}, [{"updates": [{"values": {"counter": 1}, "as_node": "one"}]}], 400, "has no assigned graph ID"),
    ({"graph_id": "nope"}, [{"updates": [{"values": {"counter": 1}, "as_node": "one"}]}], 404,
     "Graph 'nope' not found"),
])
def test_failed_supersteps_leave_nothing_behind(api, metadata, steps, status, message):
    tid = str(uuid.uuid4())
    response = api.post("/threads", {"thread_id": tid, "metadata": metadata, "supersteps": steps}, format="json")
    assert response.status_code == status, response.content
    assert message in detail(response)
    assert not Thread.objects.filter(pk=tid).exists()
    assert checkpoint_count(tid) == 0
