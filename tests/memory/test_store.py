"""/store/* through langgraph_sdk: the same store the graphs get as ``runtime.store``."""
import asyncio
import uuid

import pytest


def _ns(*labels):
    return ["t", uuid.uuid4().hex[:8], *labels]


async def test_put_get_delete(msdk):
    ns = _ns("docs")
    assert await msdk.store.get_item(ns, key="a") is None
    await msdk.store.put_item(ns, key="a", value={"title": "one", "n": 1})
    item = await msdk.store.get_item(ns, key="a")
    assert item["namespace"] == ns and item["key"] == "a" and item["value"] == {"title": "one", "n": 1}
    assert item["created_at"] and item["updated_at"]
    await asyncio.sleep(1.1)  # SQLite timestamps have seconds: a new created_at would show
    await msdk.store.put_item(ns, key="a", value={"title": "two"})
    again = await msdk.store.get_item(ns, key="a")
    assert again["value"] == {"title": "two"} and again["created_at"] == item["created_at"]
    assert again["updated_at"] > item["updated_at"]
    await msdk.store.delete_item(ns, key="a")
    assert await msdk.store.get_item(ns, key="a") is None
    await msdk.store.delete_item(ns, key="a")  # deleting a missing item is fine


async def test_search_prefix_filter_limit_offset(msdk):
    root = _ns()
    for i in range(5):
        await msdk.store.put_item([*root, "x" if i % 2 else "y"], key=f"k{i}", value={"i": i, "odd": bool(i % 2)})
    found = await msdk.store.search_items(root, limit=10)
    assert sorted(item["key"] for item in found["items"]) == [f"k{i}" for i in range(5)]
    odd = await msdk.store.search_items(root, filter={"odd": True})
    assert sorted(item["value"]["i"] for item in odd["items"]) == [1, 3]
    only_x = await msdk.store.search_items([*root, "x"])
    assert {item["key"] for item in only_x["items"]} == {"k1", "k3"}
    first = await msdk.store.search_items(root, limit=2)
    rest = await msdk.store.search_items(root, limit=10, offset=2)
    assert len(first["items"]) == 2 and len(rest["items"]) == 3
    assert not {i["key"] for i in first["items"]} & {i["key"] for i in rest["items"]}
    ranged = await msdk.store.search_items(root, filter={"i": {"$gte": 3}})
    assert sorted(item["value"]["i"] for item in ranged["items"]) == [3, 4]


async def test_list_namespaces(msdk):
    root = _ns()
    for labels in (["a", "one"], ["a", "two"], ["b", "one"]):
        await msdk.store.put_item([*root, *labels], key="k", value={"v": 1})
    listed = await msdk.store.list_namespaces(prefix=root)
    assert sorted(listed["namespaces"]) == sorted([[*root, "a", "one"], [*root, "a", "two"], [*root, "b", "one"]])
    shallow = await msdk.store.list_namespaces(prefix=root, max_depth=len(root) + 1)
    assert sorted(shallow["namespaces"]) == [[*root, "a"], [*root, "b"]]
    ones = await msdk.store.list_namespaces(prefix=root, suffix=["one"])
    assert sorted(ones["namespaces"]) == [[*root, "a", "one"], [*root, "b", "one"]]
    paged = await msdk.store.list_namespaces(prefix=root, limit=1, offset=1)
    assert len(paged["namespaces"]) == 1


async def test_graph_and_api_share_the_store(msdk):
    user = uuid.uuid4().hex[:8]
    await msdk.store.put_item(["memories", user], key="api", value={"text": "from the api", "source": "api"})
    result = await msdk.runs.wait(None, "memory", input={"user": user, "remember": "likes tea"})
    assert result["recalled"] == ["from the api", "likes tea"]
    found = await msdk.store.search_items(["memories", user], filter={"source": "graph"})
    assert [item["value"]["text"] for item in found["items"]] == ["likes tea"]


@pytest.mark.parametrize("method,path,body,field", [
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": [1, 2]}, "value"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": "text"}, "value"),
    ("PUT", "/store/items", {"namespace": [], "key": "k", "value": {}}, "namespace"),
    ("PUT", "/store/items", {"namespace": ["a.b"], "key": "k", "value": {}}, "namespace"),
    ("PUT", "/store/items", {"namespace": ["a", ""], "key": "k", "value": {}}, "namespace"),
    ("PUT", "/store/items", {"namespace": ["a", 3], "key": "k", "value": {}}, "namespace"),
    ("PUT", "/store/items", {"namespace": ["langgraph"], "key": "k", "value": {}}, "namespace"),
    ("PUT", "/store/items", {"namespace": ["a"], "value": {}}, "key"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "ttl": "soon"}, "ttl"),
    ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "index": True}, "index"),
    ("PUT", "/store/items", [1], "JSON object"),
    ("DELETE", "/store/items", {"namespace": [], "key": "k"}, "namespace"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a.b"]}, "namespace_prefix"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a"], "limit": 0}, "limit"),
    ("POST", "/store/items/search", {"namespace_prefix": ["a"], "filter": [1]}, "filter"),
    ("POST", "/store/namespaces", {"prefix": ["a."]}, "prefix"),
    ("POST", "/store/namespaces", {"max_depth": "x"}, "max_depth"),
])
def test_bad_input_is_422_naming_the_field(mhttp, method, path, body, field):
    response = mhttp.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


@pytest.mark.parametrize("params,field", [
    ({"namespace": "a..b", "key": "k"}, "namespace"),
    ({"namespace": "", "key": "k"}, "namespace"),
    ({"namespace": "a"}, "key"),
])
def test_bad_get_is_422(mhttp, params, field):
    response = mhttp.get("/store/items", params=params)
    assert response.status_code == 422 and field in response.json()["detail"]


def test_sdk_refuses_dotted_labels_before_sending(memory_server):
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=memory_server.url, api_key=None)
    with pytest.raises(ValueError):
        client.store.put_item(["a.b"], key="k", value={})


def test_bad_input_stored_nothing(mhttp):
    ns = _ns()
    response = mhttp.put("/store/items", json={"namespace": ns, "key": "k", "value": [1]})
    assert response.status_code == 422
    assert mhttp.get("/store/items", params={"namespace": ".".join(ns), "key": "k"}).json() is None


async def test_timestamps_are_timezone_aware(msdk):
    from datetime import datetime

    ns = _ns()
    await msdk.store.put_item(ns, key="k", value={"v": 1})
    item = await msdk.store.get_item(ns, key="k")
    found = (await msdk.store.search_items(ns))["items"][0]
    for value in (item["created_at"], item["updated_at"], found["updated_at"]):
        assert datetime.fromisoformat(value).utcoffset() is not None


def test_get_accepts_a_repeated_namespace_parameter(mhttp):
    ns = _ns("deep")
    assert mhttp.put("/store/items", json={"namespace": ns, "key": "k", "value": {"v": 2}}).status_code == 204
    response = mhttp.get("/store/items", params=[*(("namespace", label) for label in ns), ("key", "k")])
    assert response.status_code == 200 and response.json()["value"] == {"v": 2}
    bad = mhttp.get("/store/items", params=[("namespace", "a.b"), ("namespace", "c"), ("key", "k")])
    assert bad.status_code == 422 and "namespace" in bad.json()["detail"]
