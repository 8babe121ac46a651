"""What LangGraph Studio (a web page on another origin) needs of a local server, and /docs."""
import re

STUDIO = "https://smith.langchain.com"
HI = {"messages": [{"type": "human", "content": "hi studio"}]}


def test_preflight_allows_private_network_and_requested_headers(http):
    response = http.options("/threads/search", headers={
        "origin": STUDIO, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-api-key,x-auth-scheme",
        "access-control-request-private-network": "true"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-private-network"] == "true"
    assert set(response.headers["access-control-allow-headers"].split(",")) == {
        "content-type", "x-api-key", "x-auth-scheme"}
    assert "POST" in response.headers["access-control-allow-methods"]


def test_the_calls_studio_makes_answer_with_cors(http):
    origin = {"origin": STUDIO}
    info = http.get("/info", headers=origin)
    assert info.json()["flags"]["assistants"] is True and info.headers["access-control-allow-origin"] == "*"
    [assistant] = http.post("/assistants/search", json={"graph_id": "echo", "limit": 1}, headers=origin).json()
    assistant_id = assistant["assistant_id"]
    for path in (f"/assistants/{assistant_id}/graph?xray=true", f"/assistants/{assistant_id}/schemas",
                 f"/assistants/{assistant_id}/subgraphs"):
        response = http.get(path, headers=origin)
        assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*", path
    thread_id = http.post("/threads", json={"metadata": {"graph_id": "echo"}}, headers=origin).json()["thread_id"]
    assert http.post("/threads/search", json={"limit": 10}, headers=origin).status_code == 200
    with http.stream("POST", f"/threads/{thread_id}/runs/stream", headers=origin,
                     json={"assistant_id": assistant_id, "input": HI, "stream_mode": ["values", "updates"]}) as stream:
        assert stream.headers["access-control-allow-origin"] == "*"
        body = stream.read().decode()
    assert "event: values" in body and "echo: hi studio" in body
    state = http.get(f"/threads/{thread_id}/state", headers=origin).json()
    assert state["values"]["messages"][-1]["content"] == "echo: hi studio"
    assert http.post(f"/threads/{thread_id}/history", json={"limit": 5}, headers=origin).status_code == 200


def test_docs_render_the_openapi_document_without_a_cdn(http):
    page = http.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "/openapi.json" in html and "swagger" in html.lower()
    assert not re.search(r"https?://(cdn|unpkg|fastly\.jsdelivr|cdnjs)", html)
    assets = re.findall(r'(?:src|href)="(/static/drf_spectacular_sidecar/[^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        response = http.get(asset)
        assert response.status_code == 200 and len(response.content) > 100, asset
    assert http.get("/static/drf_spectacular_sidecar/nope.js").status_code == 404


def test_openapi_lists_the_interop_endpoints(http):
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/metrics", "/docs", "/mcp/", "/a2a/{assistant_id}"} <= set(paths)
    assert set(paths["/mcp/"]) == {"get", "post", "delete"}
    assert paths["/metrics"]["get"]["parameters"][0]["name"] == "format"


def test_mcp_and_a2a_answer_browsers_too(http):
    preflight = http.options("/mcp", headers={
        "origin": STUDIO, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,mcp-protocol-version",
        "access-control-request-private-network": "true"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-private-network"] == "true"
    assert "mcp-protocol-version" in preflight.headers["access-control-allow-headers"]
    card = http.get("/a2a/echo/.well-known/agent-card.json", headers={"origin": STUDIO})
    assert card.headers["access-control-allow-origin"] == "*"
    response = http.post("/mcp", headers={"origin": STUDIO, "accept": "application/json, text/event-stream"},
                         json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "mcp-session-id" in response.headers["access-control-expose-headers"]
