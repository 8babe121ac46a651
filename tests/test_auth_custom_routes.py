"""langgraph.json ``http.enable_custom_route_auth`` and ``auth.disable_studio_auth`` with custom auth,
on a live server per combination: a FastAPI app and a Django URLconf as ``http.app``, the flag on
and off (off, the default: the user's routes stay open, as the reference)."""
import json
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.interop_live import start_server

APPS = {"fastapi": ("fastapi_app.py:app", "/hello", "/whoami"),
        "django": ("django_urls.py:urlpatterns", "/custom/ping", "/custom/whoami")}


@pytest.fixture(scope="module", params=[("fastapi", True), ("fastapi", False), ("django", True), ("django", False)],
                ids=lambda p: f"{p[0]}-{'auth' if p[1] else 'open'}")
def routes_server(request):
    kind, flag = request.param
    config = {
        "graphs": {"echo": str(ROOT / "tests" / "graphs" / "graphs.py") + ":echo"},
        "auth": {"path": str(ROOT / "tests" / "auth" / "auth.py") + ":auth", "disable_studio_auth": flag},
        "http": {"app": str(ROOT / "tests" / "interop_app" / APPS[kind][0]), "enable_custom_route_auth": flag},
    }
    path = Path(tempfile.mkdtemp(prefix="agentserver-routes-")) / "langgraph.json"
    path.write_text(json.dumps(config))
    server = start_server(path, f"routes_{kind}_{int(flag)}")
    server.kind, server.flag = kind, flag
    yield server
    server.stop()


def test_custom_routes_are_authenticated_only_when_enabled(routes_server):
    _, route, whoami = APPS[routes_server.kind]
    with httpx.Client(base_url=routes_server.url, timeout=30) as anonymous:
        response = anonymous.get(route)
        if routes_server.flag:
            assert response.status_code == 401 and response.json() == {"detail": "Missing token"}
            assert anonymous.get(route, headers={"Authorization": "Bearer teapot"}).status_code == 418
        else:
            assert response.status_code == 200, response.text
            assert anonymous.get(whoami).json() == {"identity": None}
        assert anonymous.post("/threads/search", json={}).status_code == 401  # the API itself: always
    with httpx.Client(base_url=routes_server.url, timeout=30, headers={"Authorization": "Bearer alice"}) as alice:
        assert alice.get(route).status_code == 200
        assert alice.get(whoami).json() == {"identity": "alice" if routes_server.flag else None}


def test_studio_headers_never_stand_in_for_credentials(routes_server):
    """disable_studio_auth true or false: agentserver cannot verify LangSmith credentials, so
    Studio's ``x-auth-scheme: langsmith`` requests go through the handler like any other."""
    studio = {"x-auth-scheme": "langsmith", "x-api-key": "lsv2_pt_not-checkable", "Origin": "https://smith.langchain.com"}
    with httpx.Client(base_url=routes_server.url, timeout=30, headers=studio) as http:
        response = http.post("/threads/search", json={})
        assert response.status_code == 401 and response.json() == {"detail": "Missing token"}
        authed = http.post("/threads/search", json={}, headers={"Authorization": "Bearer alice"})
        assert authed.status_code == 200
