"""Assistants API through the real langgraph_sdk client against the live server."""
import uuid

import pytest
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from agentserver.ids import system_assistant_id

FIELDS = ["assistant_id", "graph_id", "config", "context", "metadata", "name", "created_at", "updated_at",
          "version", "description"]
MISSING = "00000000-0000-0000-0000-000000000999"


def tag():
    return {"suite": uuid.uuid4().hex}


async def test_create_get_update_delete(sdk):
    meta = tag()
    created = await sdk.assistants.create("echo", config={"tags": ["a"]}, context={"user": "u"}, metadata=meta,
                                          name="SDK one", description="made by the sdk")
    aid = created["assistant_id"]
    assert list(created) == FIELDS
    assert created["config"] == {"tags": ["a"], "configurable": {"user": "u"}}
    assert created["context"] == {"user": "u"} and created["metadata"] == meta
    assert created["version"] == 1 and created["created_at"] == created["updated_at"]
    assert await sdk.assistants.get(aid) == created

    updated = await sdk.assistants.update(aid, metadata={"extra": 1}, name="SDK two", graph_id="steps")
    assert updated["version"] == 2 and updated["name"] == "SDK two" and updated["graph_id"] == "steps"
    assert updated["metadata"] == {**meta, "extra": 1} and updated["description"] == "made by the sdk"
    assert updated["created_at"] == created["created_at"] and updated["updated_at"] > created["updated_at"]

    assert await sdk.assistants.delete(aid) is None
    with pytest.raises(NotFoundError):
        await sdk.assistants.get(aid)
    with pytest.raises(NotFoundError) as err:
        await sdk.assistants.delete(aid)
    assert err.value.response.json() == {"detail": f"Assistant with ID {aid} not found"}


async def test_create_if_exists(sdk):
    aid = str(uuid.uuid4())
    first = await sdk.assistants.create("echo", assistant_id=aid, name="first")
    with pytest.raises(ConflictError) as err:
        await sdk.assistants.create("echo", assistant_id=aid)
    assert err.value.response.json() == {"detail": f"Assistant {aid} already exists"}
    assert await sdk.assistants.create("steps", assistant_id=aid, if_exists="do_nothing") == first


async def test_errors_reach_the_sdk_as_typed_exceptions(sdk):
    with pytest.raises(NotFoundError) as err:
        await sdk.assistants.create("nope")
    assert err.value.response.json()["detail"].startswith("Graph 'nope' not found. Expected one of: [")
    with pytest.raises(UnprocessableEntityError) as err:
        await sdk.assistants.create(None)
    assert err.value.response.json()["detail"].startswith("graph_id: ")
    with pytest.raises(UnprocessableEntityError) as err:
        await sdk.assistants.get("echo")
    assert err.value.response.json() == {"detail": "Invalid assistant ID: must be a UUID"}
    with pytest.raises(NotFoundError) as err:
        await sdk.assistants.get(MISSING)
    assert err.value.response.json() == {"detail": "Not Found"}
    with pytest.raises(NotFoundError):
        await sdk.assistants.update(MISSING, name="x")
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.search(limit=0)
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.search(metadata=["not", "an", "object"])


async def test_search_count_and_pagination(sdk, http):
    meta = tag()
    ids = [(await sdk.assistants.create("echo", metadata=meta, name=f"page {i}"))["assistant_id"] for i in range(3)]
    await sdk.assistants.create("steps", metadata=meta, name="other graph")

    found = await sdk.assistants.search(metadata=meta, graph_id="echo")
    assert [a["assistant_id"] for a in found] == ids[::-1]
    assert await sdk.assistants.count(metadata=meta) == 4
    assert await sdk.assistants.count(metadata=meta, graph_id="steps") == 1
    assert await sdk.assistants.count(metadata=meta, name="PAGE") == 3

    page = await sdk.assistants.search(metadata=meta, limit=2, response_format="object")
    assert len(page["assistants"]) == 2 and page["next"] == "2"
    last = await sdk.assistants.search(metadata=meta, limit=2, offset=2, response_format="object")
    assert len(last["assistants"]) == 2 and last["next"] is None

    by_name = await sdk.assistants.search(metadata=meta, sort_by="name", sort_order="asc", select=["name"])
    assert by_name == [{"name": "other graph"}, {"name": "page 0"}, {"name": "page 1"}, {"name": "page 2"}]

    response = http.post("/assistants/search", json={"metadata": meta, "limit": 3})
    assert response.headers["x-pagination-total"] == "4" and response.headers["x-pagination-next"] == "3"
    response = http.post("/assistants/search", json={"metadata": meta, "limit": 10})
    assert response.headers["x-pagination-total"] == "4" and "x-pagination-next" not in response.headers


async def test_versions_and_set_latest(sdk):
    created = await sdk.assistants.create("echo", metadata={"v": 1}, name="v1")
    aid = created["assistant_id"]
    await sdk.assistants.update(aid, metadata={"v": 2}, name="v2")
    await sdk.assistants.update(aid, config={"recursion_limit": 7}, name="v3")

    versions = await sdk.assistants.get_versions(aid)
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["name"] for v in versions] == ["v3", "v2", "v1"]
    assert versions[0]["config"] == {"recursion_limit": 7}
    assert [v["version"] for v in await sdk.assistants.get_versions(aid, limit=1, offset=1)] == [2]
    assert [v["version"] for v in await sdk.assistants.get_versions(aid, metadata={"v": 1})] == [1]

    restored = await sdk.assistants.set_latest(aid, 1)
    assert restored["version"] == 1 and restored["name"] == "v1" and restored["metadata"] == {"v": 1}
    assert restored["config"] == {} and (await sdk.assistants.get(aid))["version"] == 1
    with pytest.raises(NotFoundError) as err:
        await sdk.assistants.set_latest(aid, 42)
    assert err.value.response.json() == {"detail": f"Version 42 not found for assistant {aid}"}
    with pytest.raises(NotFoundError):
        await sdk.assistants.get_versions(MISSING)


async def test_graph_schemas_and_subgraphs(sdk):
    sub = str(system_assistant_id("sub"))
    drawing = await sdk.assistants.get_graph(sub)
    assert [n["id"] for n in drawing["nodes"]] == ["__start__", "pre", "child", "post", "__end__"]
    xray = await sdk.assistants.get_graph(sub, xray=True)
    assert "child:child_a" in [n["id"] for n in xray["nodes"]]
    assert await sdk.assistants.get_graph("sub", xray=1) == xray
    with pytest.raises(UnprocessableEntityError):
        await sdk.assistants.get_graph(sub, xray=0)

    schemas = await sdk.assistants.get_schemas(str(system_assistant_id("steps")))
    assert schemas["graph_id"] == "steps"
    assert set(schemas["state_schema"]["properties"]) == {"counter", "log"}

    subgraphs = await sdk.assistants.get_subgraphs(sub)
    assert list(subgraphs) == ["child"]
    assert await sdk.assistants.get_subgraphs(sub, namespace="child", recurse=True) == subgraphs
    assert await sdk.assistants.get_subgraphs(sub, namespace="missing") == {}
    with pytest.raises(NotFoundError):
        await sdk.assistants.get_schemas(MISSING)


async def test_delete_with_delete_threads_removes_threads_made_for_it(sdk):
    aid = (await sdk.assistants.create("steps"))["assistant_id"]
    thread_id = str(uuid.uuid4())
    await sdk.runs.wait(thread_id, aid, input={}, if_not_exists="create")
    assert len(await sdk.runs.list(thread_id)) == 1
    await sdk.assistants.delete(aid, delete_threads=True)
    with pytest.raises(NotFoundError):
        await sdk.runs.list(thread_id)
