"""Assistants API through DRF's test client: search and count."""
import uuid

import pytest

from tests.factories import ASSISTANT_FIELDS as FIELDS
from tests.factories import create_assistant as create
from tests.factories import detail

pytestmark = pytest.mark.django_db


# --- search ----------------------------------------------------------------------------------
def search(api, **body):
    response = api.post("/assistants/search", body, format="json")
    assert response.status_code == 200, response.content
    return response


def test_search_defaults_to_newest_first_with_pagination_headers(api):
    ids = [create(api, name=f"a{i}")["assistant_id"] for i in range(3)]
    response = search(api)
    body = response.json()
    assert len(body) == 10 and list(body[0]) == FIELDS
    assert [a["assistant_id"] for a in body[:3]] == ids[::-1]
    assert response["x-pagination-total"] == "11" and response["x-pagination-next"] == "10"
    response = search(api, limit=10, offset=10)
    assert len(response.json()) == 7
    assert response["x-pagination-total"] == "17" and "x-pagination-next" not in response


def test_search_filters(api):
    tag = uuid.uuid4().hex
    a = create(api, name="Alpha Team", metadata={"tag": tag, "nested": {"x": 1, "y": 2}, "n": None})["assistant_id"]
    b = create(api, graph_id="steps", name="beta", metadata={"tag": tag, "nested": {"x": 2}})["assistant_id"]
    ids = lambda **body: [x["assistant_id"] for x in search(api, **body).json()]  # noqa: E731
    assert ids(metadata={"tag": tag}) == [b, a]
    assert ids(metadata={"tag": tag}, graph_id="steps") == [b]
    assert ids(metadata={"nested": {"x": 1}}) == [a]
    assert ids(metadata={"n": None, "tag": tag}) == [a]
    assert ids(metadata={"tag": tag}, name="TEAM") == [a]
    assert ids(metadata={"tag": "other"}) == []
    assert ids(name="alpha t") == [a]
    assert len(ids(graph_id="echo", limit=100)) == 2  # the system assistant and `a`


def test_search_sorting(api):
    tag = uuid.uuid4().hex
    for name in ("b", "C", "a"):
        create(api, name=name, metadata={"tag": tag})
    names = lambda **body: [x["name"] for x in search(api, metadata={"tag": tag}, **body).json()]  # noqa: E731
    assert names() == ["a", "C", "b"]
    assert names(sort_by="name", sort_order="asc") == ["a", "b", "C"]
    assert names(sort_by="name", sort_order="desc") == ["C", "b", "a"]
    assert names(sort_by="name") == ["C", "b", "a"]
    assert names(sort_by="created_at", sort_order="asc") == ["b", "C", "a"]
    assert names(sort_by="updated_at") == ["a", "C", "b"]
    ordered = [x["assistant_id"] for x in search(api, sort_by="assistant_id", sort_order="asc", limit=100).json()]
    assert ordered == sorted(ordered)
    graphs = [x["graph_id"] for x in search(api, sort_by="graph_id", sort_order="asc", limit=100).json()]
    assert graphs == sorted(graphs)


def test_search_select_returns_only_those_fields_in_order(api):
    create(api, name="sel")
    body = search(api, name="sel", select=["name", "assistant_id"]).json()
    assert body and all(list(item) == ["assistant_id", "name"] for item in body)


def test_search_unknown_graph_is_a_404(api):
    response = api.post("/assistants/search", {"graph_id": "nope"}, format="json")
    assert response.status_code == 404 and detail(response).startswith("Graph 'nope' not found")


@pytest.mark.parametrize("body, field", [
    ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "5"}, "limit"), ({"limit": 1.5}, "limit"),
    ({"limit": True}, "limit"), ({"offset": -1}, "offset"), ({"offset": "x"}, "offset"),
    ({"metadata": [1]}, "metadata"), ({"name": 1}, "name"), ({"graph_id": 1}, "graph_id"),
    ({"sort_by": "zzz"}, "sort_by"), ({"sort_order": "up"}, "sort_order"),
    ({"select": "name"}, "select"), ({"select": ["zzz"]}, "select.0"),
])
def test_search_rejects_bad_input(api, body, field):
    response = api.post("/assistants/search", body, format="json")
    assert response.status_code == 422
    assert detail(response).startswith(f"{field}: ")


def test_search_and_count_need_a_json_object_body(api):
    for path in ("/assistants/search", "/assistants/count"):
        response = api.generic("POST", path, b"", content_type="application/json")
        assert response.status_code == 422 and detail(response) == "Invalid JSON in request body"
        response = api.post(path, [1], format="json")
        assert response.status_code == 422 and detail(response) == "Request body must be a JSON object"


# --- count -----------------------------------------------------------------------------------
def test_count(api):
    tag = uuid.uuid4().hex
    create(api, name="one", metadata={"tag": tag})
    create(api, graph_id="steps", name="two", metadata={"tag": tag})

    def count(**body):
        response = api.post("/assistants/count", body, format="json")
        assert response.status_code == 200 and response["content-type"] == "application/json"
        return response.json()

    assert count() == 16
    assert count(metadata={"tag": tag}) == 2
    assert count(metadata={"tag": tag}, graph_id="steps") == 1
    assert count(graph_id="echo") == 2
    assert count(name="ONE") == 1


def test_count_errors(api):
    response = api.post("/assistants/count", {"graph_id": "nope"}, format="json")
    assert response.status_code == 404 and detail(response).startswith("Graph 'nope' not found")
    for body, field in [({"metadata": [1]}, "metadata"), ({"name": 5}, "name"), ({"graph_id": None}, "graph_id")]:
        response = api.post("/assistants/count", body, format="json")
        assert response.status_code == 422 and detail(response).startswith(f"{field}: ")
