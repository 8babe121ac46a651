"""Assistants API through DRF's test client: create, get, patch, delete, versions, latest, errors."""
import uuid

import pytest

from agentserver.ids import system_assistant_id
from assistants.models import Assistant, AssistantVersion
from tests.factories import ASSISTANT_FIELDS as FIELDS
from tests.factories import create_assistant as create
from tests.factories import detail

pytestmark = pytest.mark.django_db

VERSION_FIELDS = ["assistant_id", "version", "graph_id", "config", "context", "metadata", "created_at", "name",
                  "description"]
MISSING = "00000000-0000-0000-0000-000000000999"
GRAPHS = "['builder', 'chat', 'config_runtime_factory', 'ctx', 'echo', 'factory', 'fail', 'failing_factory', 'hitl', 'junk_factory', 'runtime_factory', 'slow', 'steps', 'sub']"


# --- create ----------------------------------------------------------------------------------
def test_create_returns_the_assistant_object_and_stores_version_1(api):
    aid = str(uuid.uuid4())
    body = create(api, assistant_id=aid, config={"tags": ["t"], "recursion_limit": 5}, metadata={"team": "a"},
                  name="Alpha", description="first")
    assert list(body) == FIELDS
    assert body["assistant_id"] == aid and body["graph_id"] == "echo"
    assert body["config"] == {"tags": ["t"], "recursion_limit": 5}
    assert body["context"] == {} and body["metadata"] == {"team": "a"}
    assert body["name"] == "Alpha" and body["description"] == "first" and body["version"] == 1
    assert body["created_at"] == body["updated_at"] and body["created_at"].endswith("+00:00")
    stored = Assistant.objects.get(pk=aid)
    assert stored.name == "Alpha" and stored.metadata == {"team": "a"}
    assert list(stored.versions.values_list("version", "name", "graph_id")) == [(1, "Alpha", "echo")]


def test_create_defaults(api):
    body = create(api)
    uuid.UUID(body["assistant_id"])
    assert body["name"] == "Untitled" and body["description"] is None
    assert body["config"] == {} and body["context"] == {} and body["metadata"] == {}
    assert create(api, name="")["name"] == "Untitled"


def test_create_mirrors_context_and_configurable(api):
    body = create(api, context={"user": "u"}, config={"tags": ["x"]})
    assert body["config"] == {"tags": ["x"], "configurable": {"user": "u"}} and body["context"] == {"user": "u"}
    body = create(api, config={"configurable": {"model": "m"}})
    assert body["context"] == {"model": "m"}


def test_create_with_configurable_and_context_is_a_400(api):
    response = api.post("/assistants", {"graph_id": "echo", "config": {"configurable": {"a": 1}},
                                        "context": {"b": 2}}, format="json")
    assert response.status_code == 400
    assert detail(response).startswith("Cannot specify both configurable and context.")


def test_create_existing_id_raises_409_or_returns_existing(api):
    aid = str(uuid.uuid4())
    first = create(api, assistant_id=aid, name="one")
    response = api.post("/assistants", {"graph_id": "steps", "assistant_id": aid}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": f"Assistant {aid} already exists"}
    again = create(api, assistant_id=aid, graph_id="steps", name="two", if_exists="do_nothing")
    assert again == first
    assert Assistant.objects.get(pk=aid).name == "one"
    assert AssistantVersion.objects.filter(assistant_id=aid).count() == 1


def test_create_unknown_graph_is_a_404_naming_the_graphs(api):
    response = api.post("/assistants", {"graph_id": "nope"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Graph 'nope' not found. Expected one of: {GRAPHS}"}


@pytest.mark.parametrize("body, field", [
    ({}, "graph_id"),
    ({"graph_id": None}, "graph_id"),
    ({"graph_id": 3}, "graph_id"),
    ({"graph_id": "echo", "assistant_id": 5}, "assistant_id"),
    ({"graph_id": "echo", "config": "x"}, "config"),
    ({"graph_id": "echo", "config": {"tags": "x"}}, "config.tags"),
    ({"graph_id": "echo", "config": {"tags": [1]}}, "config.tags"),
    ({"graph_id": "echo", "config": {"recursion_limit": "5"}}, "config.recursion_limit"),
    ({"graph_id": "echo", "config": {"configurable": []}}, "config.configurable"),
    ({"graph_id": "echo", "context": [1]}, "context"),
    ({"graph_id": "echo", "context": None}, "context"),
    ({"graph_id": "echo", "metadata": [1]}, "metadata"),
    ({"graph_id": "echo", "metadata": "x"}, "metadata"),
    ({"graph_id": "echo", "metadata": None}, "metadata"),
    ({"graph_id": "echo", "if_exists": "update"}, "if_exists"),
    ({"graph_id": "echo", "name": 5}, "name"),
    ({"graph_id": "echo", "name": "n" * 256}, "name"),
    ({"graph_id": "echo", "description": 3}, "description"),
])
def test_create_rejects_bad_types_with_422_naming_the_field(api, body, field):
    response = api.post("/assistants", body, format="json")
    assert response.status_code == 422, response.content
    assert detail(response).startswith(f"{field}: ")
    assert Assistant.objects.count() == 14  # only the system assistants


def test_create_rejects_a_non_uuid_assistant_id(api):
    response = api.post("/assistants", {"graph_id": "echo", "assistant_id": "xyz"}, format="json")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid assistant ID: must be a UUID"}


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b"\"text\""])
def test_create_rejects_bodies_that_are_not_json_objects(api, raw):
    response = api.generic("POST", "/assistants", raw, content_type="application/json")
    assert response.status_code == 422
    assert detail(response) in ("Invalid JSON in request body", "Request body must be a JSON object")


def test_create_ignores_unknown_fields_and_accepts_null_description(api):
    body = create(api, unknown=1, description=None, name="x")
    assert body["name"] == "x" and body["description"] is None


# --- get -------------------------------------------------------------------------------------
def test_get_system_assistant(api):
    response = api.get(f"/assistants/{system_assistant_id('echo')}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FIELDS
    assert body["graph_id"] == "echo" and body["name"] == "echo" and body["metadata"] == {"created_by": "system"}
    assert body["version"] == 1 and body["description"] is None and body["config"] == {}


def test_get_errors(api):
    assert api.get(f"/assistants/{MISSING}").json() == {"detail": "Not Found"}
    assert api.get(f"/assistants/{MISSING}").status_code == 404
    response = api.get("/assistants/echo")
    assert response.status_code == 422 and response.json() == {"detail": "Invalid assistant ID: must be a UUID"}


def test_get_hides_assistants_of_unregistered_graphs(api):
    aid = uuid.uuid4()
    Assistant.objects.create(assistant_id=aid, graph_id="gone", name="old")
    response = api.get(f"/assistants/{aid}")
    assert response.status_code == 404 and response.json() == {"detail": f"assistant {aid} not found"}


def test_wrong_method_and_unknown_path(api):
    assert api.get("/assistants").status_code == 405
    assert api.get("/assistants").json() == {"detail": "Method Not Allowed"}
    assert api.put(f"/assistants/{system_assistant_id('echo')}", {}, format="json").status_code == 405
    assert api.get(f"/assistants/{system_assistant_id('echo')}/nope").status_code == 404


# --- patch -----------------------------------------------------------------------------------
def test_patch_merges_metadata_and_creates_a_new_version(api):
    aid = create(api, metadata={"a": 1, "b": 1}, name="n1", description="d1", config={"tags": ["t"]})["assistant_id"]
    response = api.patch(f"/assistants/{aid}", {"metadata": {"b": 2, "c": 3}, "name": "n2"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FIELDS
    assert body["metadata"] == {"a": 1, "b": 2, "c": 3} and body["name"] == "n2"
    assert body["description"] == "d1" and body["config"] == {"tags": ["t"]} and body["version"] == 2
    assert body["updated_at"] > body["created_at"]
    stored = Assistant.objects.get(pk=aid)
    assert stored.version == 2 and stored.metadata == {"a": 1, "b": 2, "c": 3}
    versions = {v.version: v for v in AssistantVersion.objects.filter(assistant_id=aid)}
    assert set(versions) == {1, 2}
    assert versions[1].name == "n1" and versions[1].metadata == {"a": 1, "b": 1}
    assert versions[2].name == "n2" and versions[2].created_at.isoformat() == body["updated_at"]


def test_patch_replaces_config_context_graph_and_description(api):
    aid = create(api, config={"tags": ["t"]}, context={"k": 1})["assistant_id"]
    body = api.patch(f"/assistants/{aid}", {"config": {"configurable": {"z": 1}}}, format="json").json()
    assert body["config"] == {"configurable": {"z": 1}} and body["context"] == {"z": 1} and body["version"] == 2
    body = api.patch(f"/assistants/{aid}", {"context": {"q": 9}}, format="json").json()
    assert body["config"] == {"configurable": {"q": 9}} and body["context"] == {"q": 9} and body["version"] == 3
    body = api.patch(f"/assistants/{aid}", {"graph_id": "steps", "description": "new"}, format="json").json()
    assert body["graph_id"] == "steps" and body["description"] == "new" and body["version"] == 4
    body = api.patch(f"/assistants/{aid}", {}, format="json").json()
    assert body["version"] == 5 and body["graph_id"] == "steps"
    assert AssistantVersion.objects.filter(assistant_id=aid).count() == 5


def test_patch_version_is_max_plus_one_after_set_latest(api):
    aid = create(api)["assistant_id"]
    api.patch(f"/assistants/{aid}", {"name": "v2"}, format="json")
    api.post(f"/assistants/{aid}/latest", {"version": 1}, format="json")
    body = api.patch(f"/assistants/{aid}", {"name": "v3"}, format="json").json()
    assert body["version"] == 3 and body["name"] == "v3"


def test_patch_errors(api):
    aid = create(api)["assistant_id"]
    response = api.patch(f"/assistants/{MISSING}", {"name": "x"}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": f"Assistant {MISSING} not found"}
    response = api.patch("/assistants/xyz", {"name": "x"}, format="json")
    assert response.status_code == 422 and detail(response) == "Invalid assistant ID: must be a UUID"
    response = api.patch(f"/assistants/{aid}", {"graph_id": "nope"}, format="json")
    assert response.status_code == 404 and detail(response).startswith("Graph 'nope' not found")
    for body, field in [({"metadata": [1]}, "metadata"), ({"description": None}, "description"),
                        ({"name": 1}, "name"), ({"config": {"tags": "x"}}, "config.tags"), ({"context": 1}, "context")]:
        response = api.patch(f"/assistants/{aid}", body, format="json")
        assert response.status_code == 422 and detail(response).startswith(f"{field}: "), body
    response = api.patch(f"/assistants/{aid}", [1], format="json")
    assert response.status_code == 422
    response = api.patch(f"/assistants/{aid}", {"config": {"configurable": {"a": 1}}, "context": {"b": 1}},
                         format="json")
    assert response.status_code == 400
    assert Assistant.objects.get(pk=aid).version == 1


# --- delete ----------------------------------------------------------------------------------
def test_delete_removes_the_assistant_and_its_versions(api):
    aid = create(api)["assistant_id"]
    api.patch(f"/assistants/{aid}", {"name": "v2"}, format="json")
    response = api.delete(f"/assistants/{aid}")
    assert response.status_code == 204 and response.content == b""
    assert not Assistant.objects.filter(pk=aid).exists()
    assert not AssistantVersion.objects.filter(assistant_id=aid).exists()
    assert api.get(f"/assistants/{aid}").status_code == 404
    response = api.delete(f"/assistants/{aid}")
    assert response.status_code == 404 and response.json() == {"detail": f"Assistant with ID {aid} not found"}


def test_delete_errors(api):
    response = api.delete("/assistants/xyz")
    assert response.status_code == 422 and detail(response) == "Invalid assistant ID: must be a UUID"
    aid = create(api)["assistant_id"]
    response = api.delete(f"/assistants/{aid}?delete_threads=maybe")
    assert response.status_code == 422 and detail(response).startswith("delete_threads: ")
    assert Assistant.objects.filter(pk=aid).exists()


# --- versions --------------------------------------------------------------------------------
def test_versions_lists_newest_first_with_limit_offset_and_metadata(api):
    aid = create(api, metadata={"v": 1}, name="n1")["assistant_id"]
    for i in (2, 3):
        api.patch(f"/assistants/{aid}", {"metadata": {"v": i}, "name": f"n{i}"}, format="json")
    response = api.post(f"/assistants/{aid}/versions", {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [v["version"] for v in body] == [3, 2, 1]
    assert list(body[0]) == VERSION_FIELDS
    assert body[2]["name"] == "n1" and body[2]["metadata"] == {"v": 1} and body[2]["assistant_id"] == aid
    page = api.post(f"/assistants/{aid}/versions", {"limit": 1, "offset": 1}, format="json").json()
    assert [v["version"] for v in page] == [2]
    only = api.post(f"/assistants/{aid}/versions", {"metadata": {"v": 1}}, format="json").json()
    assert [v["version"] for v in only] == [1]


def test_versions_errors(api):
    aid = create(api)["assistant_id"]
    for target in (MISSING, aid):
        body = {"metadata": {"no": "match"}} if target == aid else {}
        response = api.post(f"/assistants/{target}/versions", body, format="json")
        assert response.status_code == 404 and response.json() == {"detail": f"Assistant {target} not found"}
    response = api.post("/assistants/xyz/versions", {}, format="json")
    assert response.status_code == 422 and detail(response) == "Invalid assistant ID: must be a UUID"
    for body, field in [({"limit": 0}, "limit"), ({"limit": "x"}, "limit"), ({"offset": -1}, "offset"),
                        ({"metadata": 1}, "metadata")]:
        response = api.post(f"/assistants/{aid}/versions", body, format="json")
        assert response.status_code == 422 and detail(response).startswith(f"{field}: ")


# --- latest ----------------------------------------------------------------------------------
def test_set_latest_restores_that_versions_fields(api):
    aid = create(api, metadata={"m": 1}, name="first", config={"tags": ["a"]}, context={"k": 1},
                 description="d1")["assistant_id"]
    api.patch(f"/assistants/{aid}", {"metadata": {"m": 2}, "name": "second", "graph_id": "steps",
                                     "context": {"k": 2}, "description": "d2"}, format="json")
    response = api.post(f"/assistants/{aid}/latest", {"version": 1}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FIELDS
    assert body["version"] == 1 and body["name"] == "first" and body["metadata"] == {"m": 1}
    assert body["graph_id"] == "echo" and body["context"] == {"k": 1} and body["description"] == "d1"
    assert body["config"] == {"tags": ["a"], "configurable": {"k": 1}}
    assert api.get(f"/assistants/{aid}").json() == body
    assert AssistantVersion.objects.filter(assistant_id=aid).count() == 2
    assert api.post(f"/assistants/{aid}/latest", {"version": 2}, format="json").json()["name"] == "second"


def test_set_latest_errors(api):
    aid = create(api)["assistant_id"]
    response = api.post(f"/assistants/{aid}/latest", {"version": 99}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Version 99 not found for assistant {aid}"}
    response = api.post(f"/assistants/{MISSING}/latest", {"version": 1}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": f"Assistant {MISSING} not found"}
    response = api.post("/assistants/xyz/latest", {"version": 1}, format="json")
    assert response.status_code == 422 and detail(response) == "Invalid assistant ID: must be a UUID"
    for body in ({}, {"version": "1"}, {"version": None}, {"version": 1.5}):
        response = api.post(f"/assistants/{aid}/latest", body, format="json")
        assert response.status_code == 422 and detail(response).startswith("version: "), body
