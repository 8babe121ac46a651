"""LangGraph custom auth (langgraph.json ``auth.path``) against a live server, through langgraph_sdk.

The handlers are tests/auth/auth.py: owner stamping on create, owner filters, a ``$contains``
filter on thread reads (participants), a handler that denies (False) and one that raises a 403."""
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import AuthenticationError, NotFoundError

from tests.conftest import ROOT, LiveServer, free_port, server_env
from tests.helpers import parse_sse

CONFIG = ROOT / "tests" / "auth" / "langgraph.json"


@pytest.fixture(scope="module")
def auth_server():
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-auth-"))
    server = LiveServer(server_env(data_dir, db_suffix="_live_auth", LANGGRAPH_CONFIG=str(CONFIG)), free_port(), data_dir / "server.log")
    server.start()
    yield server
    server.stop()


def client(server, token):
    return get_client(url=server.url, api_key=None, headers={"Authorization": f"Bearer {token}"} if token else {})


def raw(server, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def alice_world(auth_server):
    """A thread, a finished run on it and an assistant, all alice's (made through her client)."""
    import asyncio

    async def make():
        alice = client(auth_server, "alice")
        thread = await alice.threads.create(metadata={"topic": "secret"})
        run = await alice.runs.create(thread["thread_id"], "whoami", input={})
        await alice.runs.join(thread["thread_id"], run["run_id"])
        assistant = await alice.assistants.create("echo", name="alice's", metadata={"k": "v"})
        return thread, run, assistant

    return asyncio.run(make())


def every_endpoint(thread_id, run_id, assistant_id):
    """(method, path, json body) of every API route, on the given resources."""
    t, r, a = thread_id, run_id, assistant_id
    run_body = {"assistant_id": "echo", "input": {"messages": []}}
    return [
        ("POST", "/assistants", {"graph_id": "echo"}), ("POST", "/assistants/search", {}),
        ("POST", "/assistants/count", {}), ("GET", f"/assistants/{a}", None),
        ("PATCH", f"/assistants/{a}", {"name": "x"}), ("DELETE", f"/assistants/{a}", None),
        ("GET", f"/assistants/{a}/graph", None), ("GET", f"/assistants/{a}/schemas", None),
        ("GET", f"/assistants/{a}/subgraphs", None), ("POST", f"/assistants/{a}/versions", {}),
        ("POST", f"/assistants/{a}/latest", {"version": 1}),
        ("POST", "/threads", {}), ("POST", "/threads/search", {}), ("POST", "/threads/count", {}),
        ("POST", "/threads/prune", {"thread_ids": [t]}),
        ("GET", f"/threads/{t}", None), ("PATCH", f"/threads/{t}", {"metadata": {"x": 1}}),
        ("POST", f"/threads/{t}/copy", None), ("GET", f"/threads/{t}/state", None),
        ("POST", f"/threads/{t}/state", {"values": {}}), ("POST", f"/threads/{t}/state/checkpoint", {"checkpoint": {}}),
        ("GET", f"/threads/{t}/history", None), ("POST", f"/threads/{t}/history", {}),
        ("GET", f"/threads/{t}/stream", None), ("POST", f"/threads/{t}/stream/events", {"channels": ["values"]}),
        ("POST", f"/threads/{t}/commands", {"id": 1, "method": "run.start", "params": {"assistant_id": "echo"}}),
        ("GET", f"/threads/{t}/runs", None), ("POST", f"/threads/{t}/runs", run_body),
        ("POST", f"/threads/{t}/runs/stream", run_body), ("POST", f"/threads/{t}/runs/wait", run_body),
        ("GET", f"/threads/{t}/runs/{r}", None), ("POST", f"/threads/{t}/runs/{r}/cancel", None),
        ("GET", f"/threads/{t}/runs/{r}/join", None), ("GET", f"/threads/{t}/runs/{r}/stream", None),
        ("DELETE", f"/threads/{t}/runs/{r}", None), ("DELETE", f"/threads/{t}", None),
        ("POST", "/runs", run_body), ("POST", "/runs/stream", run_body), ("POST", "/runs/wait", run_body),
        ("POST", "/runs/batch", [run_body]), ("POST", "/runs/cancel", {"run_ids": [r]}),
        ("GET", f"/runs/{r}", None), ("GET", f"/runs/{r}/stream", None),
    ]


def request(http, method, path, body):
    return http.request(method, path, json=body) if body is not None else http.request(method, path)


def test_every_endpoint_answers_401_without_credentials_and_open_paths_stay_open(auth_server):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    with raw(auth_server) as http:
        for method, path, body in every_endpoint(*ids):
            response = request(http, method, path, body)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json() == {"detail": "Missing token"}, (method, path)
        for path in ("/ok", "/info", "/openapi.json"):
            assert http.get(path).status_code == 200, path
        preflight = http.options("/threads/search", headers={"Origin": "https://studio.example",
                                                             "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200  # CORS preflights carry no credentials
        refused = http.post("/threads/search", json={}, headers={"Origin": "https://studio.example"})
        assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"
        security = http.get("/openapi.json").json()
        assert security["security"] == [{"bearer": []}]
        assert security["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    with raw(auth_server, "nobody") as http:
        assert http.post("/threads/search", json={}).json() == {"detail": "Invalid token"}
    with raw(auth_server, "teapot") as http:
        for method, path, body in (("GET", "/threads/x", None), ("GET", f"/threads/{ids[0]}/stream", None)):
            response = request(http, method, path, body)
            assert response.status_code == 418 and response.headers["x-teapot"] == "yes", path
            assert response.json() == {"detail": "I'm a teapot"}


def test_another_users_resources_are_404_on_every_endpoint(auth_server, alice_world):
    thread, run, assistant = alice_world
    t, r, a = thread["thread_id"], run["run_id"], assistant["assistant_id"]
    creates = {"/assistants", "/threads", "/threads/search", "/threads/count", "/assistants/search",
               "/assistants/count", "/runs", "/runs/stream", "/runs/wait", "/runs/batch", "/threads/prune"}
    with raw(auth_server, "bob") as http:
        for method, path, body in every_endpoint(t, r, a):
            if path in creates:
                continue
            response = request(http, method, path, body)
            if path.endswith("/commands"):  # protocol v2: the error is in the envelope
                assert response.json()["error"] == "not_found", response.text
                continue
            if path == f"/assistants/{a}" and method == "DELETE":  # the delete handler refuses first
                assert response.status_code == 403
                continue
            assert response.status_code == 404, (method, path, response.status_code, response.text)
            assert alice_world[0]["thread_id"] not in response.text or "not found" in response.text.lower()
        # bulk cancel of alice's run and pruning her thread find nothing of hers
        assert http.post("/runs/cancel", json={"run_ids": [r]}).status_code == 404
        assert http.post("/threads/prune", json={"thread_ids": [t]}).json() == {"pruned_count": 0}
    with raw(auth_server, "alice") as http:  # still all there
        assert http.get(f"/threads/{t}").status_code == 200
        assert http.get(f"/threads/{t}/runs/{r}").status_code == 200
        assert http.get(f"/assistants/{a}").status_code == 200


async def test_handlers_stamp_owner_metadata_and_the_graph_sees_the_user(auth_server, alice_world):
    thread, run, assistant = alice_world
    assert thread["metadata"] == {"topic": "secret", "owner": "alice", "participants": ["alice"]}
    assert assistant["metadata"] == {"k": "v", "owner": "alice"}
    assert run["metadata"]["owner"] == "alice"
    alice = client(auth_server, "alice")
    state = await alice.threads.get_state(thread["thread_id"])
    assert state["values"] == {"identity": "alice", "attr_identity": "alice", "user_id": "alice",
                               "permissions": ["threads:write"], "owner": "alice"}
    bob = client(auth_server, "bob")  # a user returned as a plain string
    result = await bob.runs.wait(None, "whoami", input={})
    assert result["identity"] == "bob" and result["user_id"] == "bob" and result["permissions"] == []
    stored = (await bob.runs.create(None, "whoami", input={}, on_completion="keep"))
    assert stored["metadata"]["owner"] == "bob"
    assert stored["kwargs"]["config"]["configurable"]["langgraph_auth_user_id"] == "bob"


async def test_filters_narrow_search_and_count_and_contains_shares_reads(auth_server):
    alice, bob = client(auth_server, "alice"), client(auth_server, "bob")
    tag = str(uuid.uuid4())
    mine = [await alice.threads.create(metadata={"tag": tag}) for _ in range(3)]
    await bob.threads.create(metadata={"tag": tag})
    assert await alice.threads.count(metadata={"tag": tag}) == 3
    assert await bob.threads.count(metadata={"tag": tag}) == 1
    page = await alice.threads.search(metadata={"tag": tag}, limit=2)
    assert len(page) == 2 and {t["metadata"]["owner"] for t in page} == {"alice"}
    with raw(auth_server, "alice") as http:
        response = http.post("/threads/search", json={"metadata": {"tag": tag}, "limit": 2})
        assert response.headers["x-pagination-total"] == "3"
    # sharing through a $contains filter: bob may read (and stream) a thread he participates in, not change it
    shared = mine[0]["thread_id"]
    with pytest.raises(NotFoundError):
        await bob.threads.get(shared)
    await alice.threads.update(shared, metadata={"participants": ["alice", "bob"]})
    assert (await bob.threads.get(shared))["thread_id"] == shared
    with pytest.raises(NotFoundError):
        await bob.threads.update(shared, metadata={"participants": ["bob"]})
    assert await bob.threads.count(metadata={"tag": tag}) == 1  # search is still owner-only
    admin = client(auth_server, "admin")
    assert await admin.threads.count(metadata={"tag": tag}) == 4


async def test_handlers_that_deny_answer_403(auth_server):
    carol = client(auth_server, "carol")
    with raw(auth_server, "carol") as http:
        response = http.post("/threads", json={})
        assert response.status_code == 403 and response.json() == {"detail": "Forbidden"}
    alice = client(auth_server, "alice")
    assistant = await alice.assistants.create("echo")
    with raw(auth_server, "alice") as http:
        response = http.delete(f"/assistants/{assistant['assistant_id']}")
        assert response.status_code == 403 and response.json() == {"detail": "Only admins delete assistants"}
    await client(auth_server, "admin").assistants.delete(assistant["assistant_id"])
    assert await carol.threads.count() == 0


async def test_streams_joins_and_v2_are_scoped(auth_server):
    alice = client(auth_server, "alice")
    thread = await alice.threads.create()
    t = thread["thread_id"]
    parts = [part async for part in alice.runs.stream(t, "whoami", input={}, stream_mode="values")]
    assert any(part.event == "values" and part.data.get("identity") == "alice" for part in parts)
    with raw(auth_server, "alice") as http:
        run = http.post(f"/threads/{t}/runs", json={"assistant_id": "whoami", "input": {}}).json()
        joined = http.get(f"/threads/{t}/runs/{run['run_id']}/join")
        assert joined.status_code == 200 and joined.json()["identity"] == "alice"
        replay = http.get(f"/threads/{t}/runs/{run['run_id']}/stream", headers={"Last-Event-ID": "-1"})
        assert replay.status_code == 200 and parse_sse(replay.text)
        envelope = http.post(f"/threads/{t}/commands", json={"id": 7, "method": "run.start",
                                                              "params": {"assistant_id": "whoami", "input": {}}}).json()
        assert envelope["type"] == "success", envelope
        with http.stream("POST", f"/threads/{t}/stream/events", json={"channels": ["values"], "since": 0}) as events:
            assert events.status_code == 200
    with raw(auth_server, "bob") as http:
        for method, path, body in (
            ("GET", f"/threads/{t}/stream", None),
            ("POST", f"/threads/{t}/stream/events", {"channels": ["values"]}),
            ("GET", f"/threads/{t}/runs/{run['run_id']}/stream", None),
            ("GET", f"/threads/{t}/runs/{run['run_id']}/join", None),
            ("GET", f"/runs/{run['run_id']}/stream", None),
            ("POST", f"/threads/{t}/runs/stream", {"assistant_id": "whoami", "input": {}}),
            ("POST", f"/threads/{t}/runs/wait", {"assistant_id": "whoami", "input": {}}),
        ):
            response = request(http, method, path, body)
            assert response.status_code == 404, (method, path, response.text)
        cancel = http.post(f"/threads/{t}/commands", json={"id": 8, "method": "run.cancel", "params": {}}).json()
        assert cancel["error"] == "not_found"


async def test_bulk_cancel_and_batch_only_touch_the_callers_runs(auth_server):
    alice, bob = client(auth_server, "alice"), client(auth_server, "bob")
    thread = await alice.threads.create()
    run = await alice.runs.create(thread["thread_id"], "slow", input={"n": 100, "delay": 0.05})
    with raw(auth_server, "bob") as http:
        assert http.post("/runs/cancel", json={"run_ids": [run["run_id"]]}).status_code == 404
        assert http.post("/runs/cancel", json={"status": "all"}).status_code == 404
    assert (await alice.runs.get(thread["thread_id"], run["run_id"]))["status"] in ("pending", "running")
    await alice.runs.cancel(thread["thread_id"], run["run_id"], wait=True)
    batch = await bob.runs.create_batch([{"assistant_id": "whoami", "input": {}, "on_completion": "keep"}])
    with raw(auth_server, "alice") as http:
        assert http.get(f"/runs/{batch[0]['run_id']}").status_code == 404
    assert batch[0]["metadata"]["owner"] == "bob"
    with raw(auth_server, "admin") as http:  # (bob's own read filter wants participants: his runs' threads have none)
        assert http.get(f"/runs/{batch[0]['run_id']}").status_code == 200


async def test_a_handler_may_narrow_a_search_by_changing_its_value(auth_server):
    alice, bob = client(auth_server, "alice"), client(auth_server, "bob")
    tag = str(uuid.uuid4())
    for _ in range(2):
        await alice.assistants.create("echo", metadata={"tag": tag})
    await bob.assistants.create("echo", metadata={"tag": tag})
    assert await alice.assistants.count(metadata={"tag": tag}) == 2
    assert await bob.assistants.count(metadata={"tag": tag}) == 1
    found = await alice.assistants.search(metadata={"tag": tag}, limit=1)
    assert len(found) == 1 and found[0]["metadata"]["owner"] == "alice"
    assert await bob.assistants.count() == 1  # the graphs' system assistants have no owner


async def test_remote_graph_with_the_callers_headers(auth_server):
    from langgraph.pregel.remote import RemoteGraph

    remote = RemoteGraph("whoami", url=auth_server.url, api_key=None, headers={"Authorization": "Bearer alice"})
    result = await remote.ainvoke({})
    assert result["identity"] == "alice" and result["owner"] == "alice"
    anonymous = RemoteGraph("whoami", url=auth_server.url, api_key=None)
    with pytest.raises(AuthenticationError, match="Missing token"):
        await anonymous.ainvoke({})
