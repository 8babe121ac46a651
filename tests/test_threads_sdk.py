"""Threads API through the real langgraph_sdk client (and raw HTTP) against the live server."""
import uuid

import pytest
from langgraph_sdk.errors import BadRequestError, ConflictError, NotFoundError, UnprocessableEntityError

FIELDS = ["thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "status", "config", "values"]
STATE_KEYS = ["values", "next", "tasks", "metadata", "created_at", "checkpoint", "parent_checkpoint", "interrupts",
              "checkpoint_id", "parent_checkpoint_id"]
MISSING = "00000000-0000-0000-0000-000000000001"


def tag():
    return {"suite": uuid.uuid4().hex}


async def test_create_get_update_delete(sdk):
    meta = tag()
    created = await sdk.threads.create(metadata=meta)
    tid = created["thread_id"]
    assert list(created) == FIELDS and created["metadata"] == meta and created["status"] == "idle"
    assert await sdk.threads.get(tid) == created

    updated = await sdk.threads.update(tid, metadata={"extra": 1})
    assert updated["metadata"] == {**meta, "extra": 1} and updated["updated_at"] > created["updated_at"]
    assert await sdk.threads.update(tid, metadata={"more": 2}, return_minimal=True) is None
    assert (await sdk.threads.get(tid))["metadata"] == {**meta, "extra": 1, "more": 2}

    assert await sdk.threads.delete(tid) is None
    with pytest.raises(NotFoundError) as err:
        await sdk.threads.get(tid)
    assert err.value.response.json() == {"detail": f"Thread with ID {tid} not found"}
    with pytest.raises(NotFoundError):
        await sdk.threads.delete(tid)


async def test_create_with_id_conflict_and_do_nothing(sdk):
    tid = str(uuid.uuid4())
    first = await sdk.threads.create(thread_id=tid, metadata={"v": 1})
    with pytest.raises(ConflictError) as err:
        await sdk.threads.create(thread_id=tid)
    assert err.value.response.json() == {"detail": f"Thread with ID {tid} already exists"}
    assert await sdk.threads.create(thread_id=tid, if_exists="do_nothing", metadata={"v": 2}) == first


async def test_errors_for_bad_and_missing_ids(sdk):
    with pytest.raises(UnprocessableEntityError) as err:
        await sdk.threads.get("not-a-uuid")
    assert err.value.response.json() == {"detail": "Invalid thread ID: must be a UUID"}
    for call in (sdk.threads.get(MISSING), sdk.threads.get_state(MISSING), sdk.threads.get_history(MISSING),
                 sdk.threads.update(MISSING, metadata={}), sdk.threads.copy(MISSING)):
        with pytest.raises(NotFoundError):
            await call


async def test_state_update_get_and_history(sdk):
    thread = await sdk.threads.create(graph_id="steps")
    tid = thread["thread_id"]
    assert await sdk.threads.get_state(tid) == {
        "values": {}, "next": [], "tasks": [], "metadata": None, "created_at": None, "checkpoint": None,
        "parent_checkpoint": None, "interrupts": [], "checkpoint_id": None, "parent_checkpoint_id": None}

    first = await sdk.threads.update_state(tid, {"counter": 1, "log": ["a"]})
    assert first["checkpoint"]["thread_id"] == tid and first["checkpoint"]["checkpoint_ns"] == ""
    second = await sdk.threads.update_state(tid, {"counter": 2, "log": ["b"]}, as_node="one")

    current = await sdk.threads.get_state(tid)
    assert list(current) == STATE_KEYS
    assert current["values"] == {"counter": 2, "log": ["a", "b"]} and current["next"] == ["two"]
    assert current["checkpoint"]["checkpoint_id"] == second["checkpoint"]["checkpoint_id"]

    at_first = await sdk.threads.get_state(tid, checkpoint_id=first["checkpoint"]["checkpoint_id"])
    assert at_first["values"] == {"counter": 1, "log": ["a"]}
    assert (await sdk.threads.get_state(tid, checkpoint=first["checkpoint"]))["values"] == at_first["values"]
    assert (await sdk.threads.get_state(tid, subgraphs=True))["values"] == current["values"]

    history = await sdk.threads.get_history(tid)
    assert [s["checkpoint_id"] for s in history] == [
        second["checkpoint"]["checkpoint_id"], first["checkpoint"]["checkpoint_id"]]
    before = await sdk.threads.get_history(tid, before=second["checkpoint"])
    assert [s["checkpoint_id"] for s in before] == [first["checkpoint"]["checkpoint_id"]]
    assert len(await sdk.threads.get_history(tid, limit=1)) == 1
    assert len(await sdk.threads.get_history(tid, metadata={"step": 0})) == 1

    fresh = await sdk.threads.get(tid)
    assert fresh["values"] == current["values"] and fresh["status"] == "interrupted"
    assert fresh["interrupts"] == {} and fresh["error"] is None


async def test_state_update_errors(sdk):
    no_graph = (await sdk.threads.create())["thread_id"]
    with pytest.raises(BadRequestError) as err:
        await sdk.threads.update_state(no_graph, {"counter": 1})
    assert "has no assigned graph ID" in err.value.response.json()["detail"]
    tid = (await sdk.threads.create(graph_id="steps"))["thread_id"]
    with pytest.raises(BadRequestError) as err:
        await sdk.threads.update_state(tid, {"counter": 1}, as_node="nope")
    assert err.value.response.json() == {"detail": "Node nope does not exist"}
    with pytest.raises(UnprocessableEntityError):
        await sdk.threads.update_state(tid, {"counter": 1}, checkpoint_id="nope")
    assert (await sdk.threads.get_state(tid))["values"] == {}


async def test_search_and_count(sdk):
    meta = tag()
    ids = [(await sdk.threads.create(metadata={**meta, "i": i}, graph_id="steps"))["thread_id"] for i in range(3)]
    await sdk.threads.update_state(ids[0], {"counter": 9}, as_node="three")
    found = await sdk.threads.search(metadata=meta)
    assert [t["thread_id"] for t in found] == [ids[0], ids[2], ids[1]]
    found = await sdk.threads.search(metadata=meta, sort_by="created_at", sort_order="asc", limit=2, offset=1)
    assert [t["thread_id"] for t in found] == ids[1:]
    found = await sdk.threads.search(metadata=meta, values={"counter": 9}, select=["thread_id", "values"])
    assert found == [{"thread_id": ids[0], "values": {"counter": 9, "log": []}}]
    assert [t["thread_id"] for t in await sdk.threads.search(ids=[ids[1]], status="idle")] == [ids[1]]
    extracted = await sdk.threads.search(metadata=meta, extract={"c": "values.counter"}, select=["thread_id"],
                                         sort_by="created_at", sort_order="asc")
    assert [t["extracted"]["c"] for t in extracted] == [9, None, None]
    assert await sdk.threads.count(metadata=meta) == 3
    assert await sdk.threads.count(metadata=meta, values={"counter": 9}) == 1
    assert await sdk.threads.count(metadata=meta, status="busy") == 0
    with pytest.raises(UnprocessableEntityError):
        await sdk.threads.search(limit=0)


async def test_copy_and_prune(sdk):
    tid = (await sdk.threads.create(metadata={"k": "v"}, graph_id="steps"))["thread_id"]
    await sdk.threads.update_state(tid, {"counter": 1, "log": ["a"]})
    copy = await sdk.threads.copy(tid)
    assert copy["thread_id"] != tid and copy["metadata"] == {"k": "v", "graph_id": "steps"}
    assert (await sdk.threads.get_state(copy["thread_id"]))["values"] == {"counter": 1, "log": ["a"]}
    assert await sdk.threads.prune([copy["thread_id"], MISSING]) == {"pruned_count": 1}
    with pytest.raises(NotFoundError):
        await sdk.threads.get(copy["thread_id"])
    await sdk.threads.update_state(tid, {"counter": 2})
    assert await sdk.threads.prune([tid], strategy="keep_latest") == {"pruned_count": 1}
    assert len(await sdk.threads.get_history(tid, limit=10)) == 1
    assert (await sdk.threads.get_state(tid))["values"]["counter"] == 2


async def test_create_with_supersteps(sdk):
    thread = await sdk.threads.create(graph_id="steps", supersteps=[
        {"updates": [{"values": {"counter": 1, "log": ["a"]}, "as_node": "one"}]},
        {"updates": [{"values": {"counter": 2, "log": ["b"]}, "as_node": "two"}]},
    ])
    assert thread["values"] == {"counter": 2, "log": ["a", "b"]} and thread["status"] == "interrupted"
    assert len(await sdk.threads.get_history(thread["thread_id"], limit=10)) == 2
    tid = str(uuid.uuid4())
    with pytest.raises(BadRequestError):
        await sdk.threads.create(thread_id=tid, graph_id="steps",
                                 supersteps=[{"updates": [{"values": {}, "as_node": "bogus"}]}])
    with pytest.raises(NotFoundError):
        await sdk.threads.get(tid)


def test_raw_http_headers_and_errors(http):
    meta = tag()
    for _ in range(3):
        assert http.post("/threads", json={"metadata": meta}).status_code == 200
    response = http.post("/threads/search", json={"metadata": meta, "limit": 2})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["x-pagination-total"] == "3" and response.headers["x-pagination-next"] == "2"
    response = http.post("/threads", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json() == {"detail": "Invalid JSON in request body"}
    response = http.post("/threads", json={"metadata": "x"})
    assert response.status_code == 422 and "metadata" in response.json()["detail"]
    tid = http.post("/threads", json={}).json()["thread_id"]
    response = http.delete(f"/threads/{tid}")
    assert response.status_code == 204 and response.content == b""
    response = http.get(f"/threads/{tid}/state/not-a-checkpoint")
    assert response.status_code == 422 and response.json() == {"detail": "Invalid checkpoint ID"}
