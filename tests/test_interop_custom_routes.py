"""langgraph.json ``http``: a FastAPI app and a Django URLconf beside the API, the disable_* flags,
configurable_headers and cors, each on its own live server."""
import httpx
import pytest

from tests.interop_live import APPS, start_server


@pytest.fixture(scope="module")
def fastapi_server():
    server = start_server(APPS / "fastapi.json", "fastapi")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def django_server():
    server = start_server(APPS / "django.json", "django")
    yield server
    server.stop()


@pytest.fixture
def fast(fastapi_server):
    with httpx.Client(base_url=fastapi_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def dj(django_server):
    with httpx.Client(base_url=django_server.url, timeout=30) as client:
        yield client


def test_fastapi_routes_answer_and_win_over_the_api(fast):
    assert fast.get("/hello", params={"name": "agent"}).json() == {"hello": "agent"}
    assert fast.get("/lifespan-state").json() == {"greeting": "started by lifespan"}
    assert fast.get("/info").json() == {"custom": True}
    # FastAPI's own /openapi.json is not mounted over the API's
    assert fast.get("/openapi.json").json()["info"]["title"] == "agentserver"
    assert fast.get("/ok").json()["ok"] is True


def test_disable_flags_turn_groups_off_and_leave_the_rest(fast):
    assert fast.get("/threads/00000000-0000-0000-0000-000000000001").status_code == 404
    response = fast.post("/threads", json={})
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    assert fast.post("/store/items/search", json={}).status_code == 404
    assert fast.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}).status_code == 404
    assert fast.post("/assistants/search", json={}).status_code == 200
    assert fast.get("/a2a/echo/.well-known/agent-card.json").json()["name"] == "echo"
    output = fast.post("/runs/wait", json={"assistant_id": "echo", "input": {"messages": [
        {"type": "human", "content": "still here"}]}}).json()
    assert output["messages"][-1]["content"] == "echo: still here"


def test_configurable_headers_reach_the_graph(fast):
    headers = {"x-tenant-id": "acme", "x-tenant-secret": "s3cret", "x-other": "no"}
    output = fast.post("/runs/wait", json={"assistant_id": "config_echo", "input": {}}, headers=headers).json()
    assert output["headers"] == {"x-tenant-id": "acme"}
    body = {"assistant_id": "config_echo", "input": {}, "config": {"configurable": {"x-tenant-id": "from-body"}}}
    assert fast.post("/runs/wait", json=body, headers=headers).json()["headers"] == {"x-tenant-id": "from-body"}
    thread_id = "01a23000-0000-7000-8000-000000000001"
    output = fast.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "config_echo", "input": {},
                                                               "if_not_exists": "create"}, headers=headers).json()
    assert output["headers"] == {"x-tenant-id": "acme"}
    assert fast.post("/runs/wait", content=b"{bad", headers=headers).status_code == 422


def test_cors_options_apply(fast):
    preflight = fast.options("/assistants/search", headers={
        "origin": "https://app.example", "access-control-request-method": "POST"})
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-max-age"] == "60"
    other = fast.options("/assistants/search", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in other.headers


def test_django_urlconf_routes_answer(dj):
    assert dj.get("/custom/ping").json() == {"pong": True, "method": "GET"}
    assert dj.post("/threads", json={}).status_code == 200


def test_django_server_disable_flags(dj):
    for method, path in [("POST", "/assistants/search"), ("POST", "/runs/wait"), ("GET", "/info"),
                         ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
                         ("GET", "/a2a/echo/.well-known/agent-card.json")]:
        response = dj.request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 404, path
    thread = dj.post("/threads", json={}).json()
    assert dj.post(f"/threads/{thread['thread_id']}/runs/wait", json={"assistant_id": "echo"}).status_code == 404
    assert dj.get("/ok").json() == {"ok": True}
    assert dj.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                   headers={"accept": "application/json, text/event-stream"}).status_code == 200


async def test_plain_asgi_app_gets_what_the_api_does_not_serve(db):
    from interop.asgi import InteropRouter
    from interop.custom_routes import HttpOptions

    async def plain(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"plain:" + scope["path"].encode()})

    async def api(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"api"})

    router = InteropRouter(api, HttpOptions(asgi_app=plain))
    for path, expected in [("/somewhere/else", b"plain:/somewhere/else"), ("/assistants/search", b"api"),
                           ("/runs/stream", b"api"), ("/ok", b"api")]:
        sent = []
        await router({"type": "http", "method": "POST", "path": path, "headers": []}, None, _collector(sent))
        assert sent[-1]["body"] == expected, path


def test_an_invalid_http_section_stops_the_server_naming_it():
    with pytest.raises(RuntimeError, match="unknown option.*disable_everything"):
        start_server(APPS / "bad_http.json", "badhttp")


def _collector(sent):
    async def send(message):
        sent.append(message)

    return send
