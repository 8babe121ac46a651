"""The OpenAPI document describes the whole API (issue #17): run-create bodies, the nine streaming
routes, arrays as arrays, each route's refusals as ErrorResponse. (tests/test_schemathesis.py checks
the live server's answers against it.)"""
import pytest

STREAMS = [
    ("post", "/threads/{thread_id}/runs/stream"), ("post", "/runs/stream"),
    ("get", "/threads/{thread_id}/runs/{run_id}/stream"), ("get", "/runs/{run_id}/stream"),
    ("post", "/threads/{thread_id}/stream/events"), ("get", "/threads/{thread_id}/stream"),
]
WAITS = [("post", "/threads/{thread_id}/runs/wait"), ("post", "/runs/wait"),
         ("get", "/threads/{thread_id}/runs/{run_id}/join")]


@pytest.fixture(scope="module")
def document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def ok_schema(document, method, path, content_type="application/json"):
    return document["paths"][path][method]["responses"]["200"]["content"][content_type]["schema"]


def test_the_nine_streaming_routes_are_described(document):
    for method, path in STREAMS:
        assert ok_schema(document, method, path, "text/event-stream")["type"] == "string", path
    for method, path in WAITS:
        assert ok_schema(document, method, path)["type"] == "object", path
    for path in ("/threads/{thread_id}/runs/stream", "/threads/{thread_id}/runs/wait"):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/RunCreateStateful"}
    run_create = document["components"]["schemas"]["RunCreateStateful"]
    assert run_create["required"] == ["assistant_id"] and "stream_mode" in run_create["properties"]


@pytest.mark.parametrize(("method", "path", "item"), [
    ("post", "/assistants/search", "assistant_id"), ("post", "/threads/search", "thread_id"),
    ("get", "/threads/{thread_id}/runs", "Run"), ("post", "/runs/crons/search", "cron_id"),
    ("post", "/threads/{thread_id}/history", "ThreadState"), ("post", "/assistants/{assistant_id}/versions",
                                                              "AssistantVersion"),
])
def test_lists_are_arrays_of_their_objects(document, method, path, item):
    schema = ok_schema(document, method, path)
    assert schema["type"] == "array"
    items = schema["items"]
    assert items.get("$ref", "").endswith(f"/{item}") or item in items.get("properties", {}), items


@pytest.mark.parametrize(("method", "path", "name"), [
    ("get", "/assistants/{assistant_id}", "Assistant"), ("get", "/threads/{thread_id}", "Thread"),
    ("get", "/threads/{thread_id}/state", "ThreadState"), ("get", "/runs/{run_id}", "Run"),
    ("get", "/runs/crons/{cron_id}", "Cron"), ("post", "/store/items/search", "SearchItemsResponse"),
])
def test_objects_have_their_schemas(document, method, path, name):
    assert ok_schema(document, method, path) == {"$ref": f"#/components/schemas/{name}"}
    assert document["components"]["schemas"][name]["properties"]


def test_refusals_are_error_responses_with_the_statuses_a_route_can_answer(document):
    assert document["components"]["schemas"]["ErrorResponse"]["properties"]["detail"] == {"type": "string"}
    responses = document["paths"]["/threads/{thread_id}/runs"]["post"]["responses"]
    assert {"404", "409", "413", "422"} <= set(responses)
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "409" not in document["paths"]["/threads/{thread_id}"]["get"]["responses"]
    assert "413" not in document["paths"]["/threads/{thread_id}"]["get"]["responses"]
    assert "404" not in document["paths"]["/threads/search"]["post"]["responses"]
    # without authentication there is nothing to refuse with 401/403
    assert "401" not in responses and "403" not in responses
    assert "401" not in document["paths"]["/ok"]["get"]["responses"]


def test_with_authentication_every_api_route_may_answer_401_and_403(document, monkeypatch):
    import copy

    from apiauth import openapi, setup

    monkeypatch.setattr(setup, "mode", lambda: "api_keys")
    secured = openapi.add_security(copy.deepcopy(document))
    responses = secured["paths"]["/threads/{thread_id}/runs"]["post"]["responses"]
    assert {"401", "403", "415"} <= set(responses)
    assert "415" not in secured["paths"]["/threads/{thread_id}"]["get"]["responses"]
    assert "401" not in secured["paths"]["/ok"]["get"]["responses"]
