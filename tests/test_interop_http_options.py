"""Parsing of langgraph.json's ``http`` section: what it accepts, and errors that name the problem."""
from pathlib import Path

import pytest

from agentserver.graphs import GraphConfigError
from interop.asgi import group_of
from interop.custom_routes import URLConf, parse_http_options
from interop.run_headers import HeaderSelector, _inject

APPS = Path(__file__).resolve().parent / "interop_app"


def test_flags_cors_and_headers():
    options = parse_http_options({"disable_runs": True, "disable_meta": True, "disable_store": False,
                                  "enable_custom_route_auth": True, "cors": {"allow_origins": ["*"]},
                                  "configurable_headers": {"include": ["X-User-*"]}}, APPS)
    assert options.disabled == {"runs", "meta"}
    assert options.include_headers == ("x-user-*",) and options.exclude_headers == ()
    assert options.asgi_app is None and options.urlconf is None
    options = parse_http_options({"configurable_headers": {"includes": ["a-*"], "excludes": ["a-b"]}}, APPS)
    assert (options.include_headers, options.exclude_headers) == (("a-*",), ("a-b",))


def test_app_kinds():
    assert parse_http_options({"app": "./fastapi_app.py:app"}, APPS).asgi_app is not None
    urlconf = parse_http_options({"app": "./django_urls.py:urlpatterns"}, APPS).urlconf
    assert isinstance(urlconf, URLConf)
    assert [str(p.pattern) for p in urlconf.urlpatterns] == ["custom/ping", "custom/whoami"]


@pytest.mark.parametrize("http, message", [
    ([], "must be an object"),
    ({"disable_everything": True}, "unknown option"),
    ({"app": "no-colon"}, "must look like"),
    ({"app": "./missing.py:app"}, "file not found"),
    ({"app": "./django_urls.py:nothing"}, "has no attribute 'nothing'"),
    ({"app": "./django_urls.py:__doc__"}, "neither an ASGI app nor a Django URLconf"),
    ({"app": "no_such_module_anywhere:app"}, "failed to import"),
    ({"cors": {"allow_everything": True}}, "http.cors"),
    ({"configurable_headers": {"include_these": ["x"]}}, "configurable_headers"),
    ({"configurable_headers": {"include": "x-*"}}, "configurable_headers.include"),
])
def test_bad_options_name_the_problem(http, message):
    with pytest.raises(GraphConfigError, match=message):
        parse_http_options(http, APPS)


@pytest.mark.parametrize("path, group", [
    ("/threads", "threads"), ("/threads/abc/state", "threads"), ("/threads/abc/runs/wait", "runs"),
    ("/runs/stream", "runs"), ("/assistants/search", "assistants"), ("/store/items", "store"),
    ("/mcp", "mcp"), ("/mcp/", "mcp"), ("/a2a/echo", "a2a"), ("/.well-known/agent-card.json", "a2a"),
    ("/info", "meta"), ("/docs", "meta"), ("/openapi.json", "meta"), ("/ok", None), ("/threadsx", None),
])
def test_groups(path, group):
    assert group_of(path) == group


def test_header_selection_and_injection():
    selector = HeaderSelector(("x-user-*", "x-org"), ("x-user-secret",))
    chosen = selector.select([(b"X-User-Id", b"u1"), (b"x-user-secret", b"s"), (b"x-org", b"o"), (b"x-orgs", b"n")])
    assert chosen == {"x-user-id": "u1", "x-org": "o"}
    import orjson

    body = orjson.loads(_inject(b'{"assistant_id": "a", "config": {"configurable": {"x-org": "mine"}}}', chosen))
    assert body["config"]["configurable"] == {"x-user-id": "u1", "x-org": "mine"}
    batch = orjson.loads(_inject(b'[{"assistant_id": "a"}, 3]', chosen))
    assert batch[0]["config"]["configurable"] == chosen and batch[1] == 3
    assert _inject(b"{not json", chosen) == b"{not json"
