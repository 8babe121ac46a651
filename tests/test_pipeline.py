"""One request pipeline: what it does applies to JSON views and to stream consumers alike."""
import uuid

import orjson
import pytest
from channels.testing import HttpCommunicator
from django.conf import settings
from django.test import override_settings

from tests import policies

POLICY = "tests.policies.require_team_header"


def with_settings(**options):
    return override_settings(AGENTSERVER={**settings.AGENTSERVER, **options})


@pytest.fixture
def router():
    from django.core.asgi import get_asgi_application

    from agentserver.routing import http_router

    return http_router(get_asgi_application())


async def call(router, method, path, *, body=b"", headers=()):
    headers = list(headers) + ([(b"content-type", b"application/json")] if body else [])
    communicator = HttpCommunicator(router, method, path, body=body, headers=headers)
    response = await communicator.get_response(timeout=10)
    headers = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    return response["status"], headers, response["body"]


@pytest.mark.django_db(transaction=True)
async def test_a_policy_applies_to_json_views_and_stream_consumers(router):
    thread_id = str(uuid.uuid4())
    with with_settings(REQUEST_POLICIES=[POLICY]):
        for method, path, body in (("GET", "/info", b""), ("POST", "/threads/search", b"{}"),
                                   ("GET", f"/threads/{thread_id}/stream", b""),
                                   ("POST", "/runs/wait", b'{"assistant_id": "agent"}')):
            status, headers, content = await call(router, method, path, body=body)
            assert status == 401, (method, path)
            assert orjson.loads(content) == {"detail": "x-team header required"}
            assert headers["www-authenticate"] == "Team"
        policies.SEEN.clear()
        status, _, _ = await call(router, "GET", "/info", headers=[(b"x-team", b"red")])
        assert status == 200
        status, _, content = await call(router, "GET", f"/threads/{thread_id}/stream", headers=[(b"x-team", b"red")])
        assert status == 404 and b"not found" in content
        assert policies.SEEN == [("GET", "/info", "red"), ("GET", f"/threads/{thread_id}/stream", "red")]
    # without the policy, the same requests pass
    status, _, _ = await call(router, "GET", "/info")
    assert status == 200


@pytest.mark.django_db(transaction=True)
async def test_cors_is_the_same_on_json_views_and_streams(router):
    origin = [(b"origin", b"http://studio.example")]
    _, json_headers, _ = await call(router, "GET", "/info", headers=origin)
    _, stream_headers, _ = await call(router, "GET", f"/threads/{uuid.uuid4()}/stream", headers=origin)
    for headers in (json_headers, stream_headers):
        assert headers["access-control-allow-origin"] == "*"
        assert "x-pagination-total" in headers["access-control-expose-headers"]
    status, headers, body = await call(router, "OPTIONS", "/threads/x/runs/stream", headers=origin + [
        (b"access-control-request-method", b"POST"), (b"access-control-request-private-network", b"true")])
    assert status == 200 and body == b"OK"
    assert headers["access-control-allow-private-network"] == "true"
    assert "POST" in headers["access-control-allow-methods"]


@pytest.mark.django_db(transaction=True)
async def test_one_body_limit_and_one_json_parser_for_every_route(router):
    big = b'{"metadata": {"x": "' + b"a" * 2048 + b'"}}'
    deep = b'{"metadata": ' + b'{"a": ' * 150 + b"1" + b"}" * 151
    with with_settings(MAX_BODY_BYTES=1024):
        for path in ("/threads", "/runs/wait"):
            status, _, content = await call(router, "POST", path, body=big)
            assert status == 413, path
            assert "too large" in orjson.loads(content)["detail"]
    for path in ("/threads", "/runs/wait", "/threads/search"):
        status, _, content = await call(router, "POST", path, body=deep)
        assert status == 422, path
        assert "nested deeper" in orjson.loads(content)["detail"]
        status, _, content = await call(router, "POST", path, body=b"{not json")
        assert status == 422 and orjson.loads(content) == {"detail": "Invalid JSON in request body"}


@pytest.mark.django_db(transaction=True)
async def test_with_auth_on_write_requests_must_be_json(router):
    body = b'{"metadata": {}}'
    headers = [(b"x-team", b"red"), (b"content-length", str(len(body)).encode())]
    with with_settings(REQUEST_POLICIES=[POLICY]):
        for path in ("/threads", "/runs/wait"):
            for content_type in (b"text/plain", b"application/x-www-form-urlencoded", b"multipart/form-data"):
                communicator = HttpCommunicator(router, "POST", path, body=body,
                                                headers=headers + [(b"content-type", content_type)])
                response = await communicator.get_response(timeout=10)
                assert response["status"] == 415, (path, content_type)
                assert "application/json" in orjson.loads(response["body"])["detail"]
        status, _, _ = await call(router, "POST", "/threads", body=body, headers=headers)  # application/json
        assert status == 200
        status, _, _ = await call(router, "GET", "/info", headers=[(b"x-team", b"red")])  # reads: any
        assert status == 200
    # without authentication, a body is JSON whatever its content type (as the reference)
    communicator = HttpCommunicator(router, "POST", "/threads", body=body, headers=[(b"content-type", b"text/plain")])
    assert (await communicator.get_response(timeout=10))["status"] == 200
