"""Threads API through DRF's test client: create, get, patch, delete, search, count, copy, prune."""
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from agentserver import runtime
from agentserver.persistence import get_checkpointer
from runs.models import Run, RunStatus
from streaming.models import Event
from threads.models import Thread

pytestmark = pytest.mark.django_db

FIELDS = ["thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "status", "config", "values"]
STATE_FIELDS = FIELDS + ["error", "interrupts"]
MISSING = "00000000-0000-0000-0000-000000000001"


def create(api, **body):
    response = api.post("/threads", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def update_state(api, thread_id, **body):
    response = api.post(f"/threads/{thread_id}/state", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def detail(response):
    return response.json()["detail"]


def checkpoint_count(thread_id):
    async def count():
        checkpointer = await get_checkpointer()
        return len([c async for c in checkpointer.alist({"configurable": {"thread_id": str(thread_id)}})])

    return runtime.call(count())


def add_run(thread_id, status=RunStatus.PENDING):
    return Run.objects.create(
        thread_id=thread_id, assistant_id=uuid.uuid4(), graph_id="steps", status=status,
        available_at=timezone.now() + timedelta(hours=1),
    )


# --- create ----------------------------------------------------------------------------------
def test_create_returns_a_fresh_thread_in_the_reference_shape(api):
    body = create(api, metadata={"purpose": "test", "nested": {"a": [1, 2]}})
    assert list(body) == FIELDS
    assert uuid.UUID(body["thread_id"]).version == 7
    assert body["created_at"] == body["updated_at"] == body["state_updated_at"]
    assert body["created_at"].endswith("+00:00")
    assert body["metadata"] == {"purpose": "test", "nested": {"a": [1, 2]}}
    assert body["status"] == "idle" and body["config"] == {} and body["values"] is None
    stored = Thread.objects.get(pk=body["thread_id"])
    assert stored.metadata == {"purpose": "test", "nested": {"a": [1, 2]}} and stored.status == "idle"


def test_create_with_an_empty_object_and_a_given_id(api):
    assert create(api)["metadata"] == {}
    tid = str(uuid.uuid4())
    assert create(api, thread_id=tid)["thread_id"] == tid


def test_create_existing_id_raises_409_and_keeps_the_thread(api):
    tid = create(api, metadata={"v": 1})["thread_id"]
    response = api.post("/threads", {"thread_id": tid, "metadata": {"v": 2}}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": f"Thread with ID {tid} already exists"}
    response = api.post("/threads", {"thread_id": tid, "if_exists": "raise"}, format="json")
    assert response.status_code == 409
    assert Thread.objects.get(pk=tid).metadata == {"v": 1}


def test_create_existing_id_with_do_nothing_returns_it_unchanged(api):
    first = create(api, metadata={"v": 1})
    again = create(api, thread_id=first["thread_id"], if_exists="do_nothing", metadata={"v": 2})
    assert again == first
    assert Thread.objects.count() == 1


def test_create_accepts_and_ignores_ttl(api):
    assert create(api, ttl={"ttl": 5, "strategy": "delete"})["status"] == "idle"
    assert create(api, ttl={"ttl": 1.5})["status"] == "idle"


@pytest.mark.parametrize("body, field", [
    ({"metadata": "x"}, "metadata"),
    ({"metadata": None}, "metadata"),
    ({"metadata": [1]}, "metadata"),
    ({"thread_id": "abc"}, "thread_id"),
    ({"thread_id": 5}, "thread_id"),
    ({"if_exists": "bogus"}, "if_exists"),
    ({"ttl": 5}, "ttl"),
    ({"ttl": {"strategy": "nope"}}, "ttl.strategy"),
    ({"ttl": {"ttl": "x"}}, "ttl.ttl"),
    ({"supersteps": "x"}, "supersteps"),
    ({"supersteps": [{}]}, "supersteps"),
    ({"supersteps": [{"updates": [{"values": {"a": 1}}]}]}, "as_node"),
    ({"supersteps": [{"updates": [{"values": "x", "as_node": "one"}]}]}, "values"),
])
def test_create_rejects_bad_fields_with_422_naming_them(api, body, field):
    response = api.post("/threads", body, format="json")
    assert response.status_code == 422, response.content
    assert field in detail(response)
    assert Thread.objects.count() == 0


def test_create_bad_thread_id_message(api):
    response = api.post("/threads", {"thread_id": "abc"}, format="json")
    assert detail(response) == "thread_id: Invalid thread ID: must be a UUID"


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b"5", b'"x"'])
def test_create_rejects_bodies_that_are_not_json_objects(api, raw):
    response = api.generic("POST", "/threads", raw, content_type="application/json")
    assert response.status_code == 422
    assert detail(response) in ("Invalid JSON in request body", "Request body must be a JSON object")
    assert Thread.objects.count() == 0


def test_create_parses_json_whatever_the_content_type(api):
    response = api.generic("POST", "/threads", b'{"metadata": {"a": 1}}', content_type="text/plain")
    assert response.status_code == 200 and response.json()["metadata"] == {"a": 1}


def test_wrong_method_is_405(api):
    response = api.put("/threads", {}, format="json")
    assert response.status_code == 405 and detail(response) == "Method Not Allowed"
    assert api.get("/threads/search").status_code == 405


# --- get / patch -----------------------------------------------------------------------------
def test_get_returns_the_stored_thread(api):
    created = create(api, metadata={"a": 1})
    response = api.get(f"/threads/{created['thread_id']}")
    assert response.status_code == 200 and response.json() == created
    assert api.get(f"/threads/{created['thread_id']}?include=ttl").json() == created


def test_state_fields_appear_once_the_thread_has_state(api):
    tid = create(api)["thread_id"]
    Thread.objects.filter(pk=tid).update(status="busy")
    assert list(api.get(f"/threads/{tid}").json()) == FIELDS
    Thread.objects.filter(pk=tid).update(status="error", error={"error": "ValueError", "message": "boom"})
    body = api.get(f"/threads/{tid}").json()
    assert list(body) == STATE_FIELDS and body["error"] == {"error": "ValueError", "message": "boom"}
    assert body["interrupts"] == {}


def test_get_missing_and_invalid_ids(api):
    response = api.get(f"/threads/{MISSING}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Thread with ID {MISSING} not found"}
    response = api.get("/threads/not-a-uuid")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid thread ID: must be a UUID"}


def test_patch_merges_top_level_metadata_keys(api):
    created = create(api, metadata={"a": 1, "b": {"c": 2}})
    response = api.patch(f"/threads/{created['thread_id']}", {"metadata": {"b": {"d": 3}, "e": None}},
                         format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FIELDS
    assert body["metadata"] == {"a": 1, "b": {"d": 3}, "e": None}
    assert body["updated_at"] > created["updated_at"]
    assert body["created_at"] == created["created_at"] and body["state_updated_at"] == created["state_updated_at"]
    assert Thread.objects.get(pk=created["thread_id"]).metadata == {"a": 1, "b": {"d": 3}, "e": None}


def test_patch_empty_body_and_ttl_change_nothing_but_updated_at(api):
    created = create(api, metadata={"a": 1})
    body = api.patch(f"/threads/{created['thread_id']}", {}, format="json").json()
    assert body["metadata"] == {"a": 1}
    body = api.patch(f"/threads/{created['thread_id']}", {"ttl": {"ttl": 5}}, format="json").json()
    assert body["metadata"] == {"a": 1}


def test_patch_with_prefer_return_minimal_is_204(api):
    created = create(api)
    response = api.patch(f"/threads/{created['thread_id']}", {"metadata": {"z": 1}}, format="json",
                         HTTP_PREFER="return=minimal")
    assert response.status_code == 204 and response.content == b""
    assert Thread.objects.get(pk=created["thread_id"]).metadata == {"z": 1}


@pytest.mark.parametrize("body", [{"metadata": "x"}, {"metadata": None}, {"metadata": [1]}, {"ttl": "x"}])
def test_patch_rejects_bad_fields_and_keeps_metadata(api, body):
    created = create(api, metadata={"keep": True})
    response = api.patch(f"/threads/{created['thread_id']}", body, format="json")
    assert response.status_code == 422
    assert list(body)[0] in detail(response)
    assert Thread.objects.get(pk=created["thread_id"]).metadata == {"keep": True}


def test_patch_missing_and_invalid_ids(api):
    response = api.patch(f"/threads/{MISSING}", {"metadata": {}}, format="json")
    assert response.status_code == 404 and detail(response) == f"Thread with ID {MISSING} not found"
    assert api.patch("/threads/abc", {"metadata": {}}, format="json").status_code == 422


# --- delete ----------------------------------------------------------------------------------
def test_delete_removes_thread_runs_events_and_checkpoints(api):
    tid = create(api, metadata={"graph_id": "steps"})["thread_id"]
    update_state(api, tid, values={"counter": 1})
    run = add_run(tid)
    assert Event.objects.filter(thread_id=tid).count() == 1
    assert checkpoint_count(tid) == 1
    response = api.delete(f"/threads/{tid}")
    assert response.status_code == 204 and response.content == b""
    assert not Thread.objects.filter(pk=tid).exists()
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not Event.objects.filter(thread_id=tid).exists()
    assert checkpoint_count(tid) == 0
    response = api.delete(f"/threads/{tid}")
    assert response.status_code == 404 and detail(response) == f"Thread with ID {tid} not found"


def test_delete_invalid_id_is_422(api):
    response = api.delete("/threads/abc")
    assert response.status_code == 422 and detail(response) == "Invalid thread ID: must be a UUID"


# --- search / count --------------------------------------------------------------------------
@pytest.fixture
def three(api):
    tag = uuid.uuid4().hex
    ids = [create(api, metadata={"tag": tag, "i": i, "graph_id": "steps"})["thread_id"] for i in range(3)]
    update_state(api, ids[0], values={"counter": 5, "log": ["x"]}, as_node="three")
    update_state(api, ids[1], values={"counter": 7, "log": ["y"]})
    return tag, ids


def search(api, **body):
    response = api.post("/threads/search", body, format="json")
    assert response.status_code == 200, response.content
    return response


def test_search_defaults_to_updated_at_desc_with_pagination_total(api, three):
    tag, ids = three
    response = search(api, metadata={"tag": tag})
    assert [t["thread_id"] for t in response.json()] == [ids[1], ids[0], ids[2]]
    assert response.headers["x-pagination-total"] == "3"
    assert "x-pagination-next" not in response.headers
    first = response.json()[0]
    assert list(first) == STATE_FIELDS and first["status"] == "interrupted"
    assert list(response.json()[2]) == FIELDS


def test_search_filters(api, three):
    tag, ids = three
    found = lambda **body: [t["thread_id"] for t in search(api, metadata={"tag": tag}, **body).json()]  # noqa: E731
    assert found(values={"counter": 5}) == [ids[0]]
    assert found(values={"log": ["y"]}) == [ids[1]]
    assert found(status="idle") == [ids[0], ids[2]]
    assert found(status="interrupted") == [ids[1]]
    assert found(ids=[ids[2], MISSING]) == [ids[2]]
    assert [t["thread_id"] for t in search(api, metadata={"tag": tag, "i": 2}).json()] == [ids[2]]
    assert search(api, metadata={"tag": "nope"}).json() == []


def test_search_sort_limit_offset_and_next_header(api, three):
    tag, ids = three
    response = search(api, metadata={"tag": tag}, sort_by="created_at", sort_order="asc", limit=1, offset=1)
    assert [t["thread_id"] for t in response.json()] == [ids[1]]
    assert response.headers["x-pagination-total"] == "3" and response.headers["x-pagination-next"] == "2"
    response = search(api, metadata={"tag": tag}, sort_by="created_at")
    assert [t["thread_id"] for t in response.json()] == list(reversed(ids))
    assert search(api, metadata={"tag": tag}, offset=5).json() == []
    assert [t["thread_id"] for t in search(api, metadata={"tag": tag}, sort_by="thread_id", sort_order="asc").json()] \
        == sorted(ids)


def test_search_select_and_extract(api, three):
    tag, ids = three
    body = search(api, metadata={"tag": tag}, select=["values", "thread_id", "interrupts"],
                  extract={"last": "values.log[-1]", "tag": "metadata.tag", "nope": "values.missing.deep",
                           "first": "values.log[0]", "out": "values.log[5]"}).json()
    assert list(body[0]) == ["thread_id", "values", "interrupts", "extracted"]
    assert body[0]["extracted"] == {"last": "y", "tag": tag, "nope": None, "first": "y", "out": None}
    assert list(body[2]) == ["thread_id", "values", "extracted"]
    assert body[2]["extracted"]["last"] is None
    assert list(search(api, metadata={"tag": tag}, select=[]).json()[2]) == FIELDS


@pytest.mark.parametrize("body, field", [
    ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "5"}, "limit"), ({"limit": True}, "limit"),
    ({"offset": -1}, "offset"), ({"sort_by": "bogus"}, "sort_by"), ({"sort_order": "up"}, "sort_order"),
    ({"select": ["bogus"]}, "select"), ({"select": "thread_id"}, "select"), ({"status": "bogus"}, "status"),
    ({"metadata": "x"}, "metadata"), ({"values": [1]}, "values"), ({"ids": ["abc"]}, "ids"), ({"ids": "x"}, "ids"),
    ({"extract": {"a": 5}}, "extract"), ({"extract": {"a": "bogus.x"}}, "extract"), ({"extract": "x"}, "extract"),
    ({"extract": {str(i): "values" for i in range(11)}}, "extract"),
])
def test_search_rejects_bad_fields(api, body, field):
    response = api.post("/threads/search", body, format="json")
    assert response.status_code == 422, response.content
    assert field in detail(response)


def test_search_extract_root_message(api):
    response = api.post("/threads/search", {"extract": {"a": "bogus.x"}}, format="json")
    assert detail(response) == (
        "extract: Extract path 'bogus.x' must start with one of: config, interrupts, metadata, values")


def test_count(api, three):
    tag, ids = three
    count = lambda **body: api.post("/threads/count", body, format="json").json()  # noqa: E731
    assert count(metadata={"tag": tag}) == 3
    assert count(metadata={"tag": tag}, status="idle") == 2
    assert count(metadata={"tag": tag}, values={"counter": 7}) == 1
    assert count() == Thread.objects.count()
    for body in ({"status": "bogus"}, {"values": "x"}, {"metadata": 1}):
        response = api.post("/threads/count", body, format="json")
        assert response.status_code == 422 and list(body)[0] in detail(response)
    response = api.generic("POST", "/threads/count", b"", content_type="application/json")
    assert response.status_code == 422 and detail(response) == "Invalid JSON in request body"


# --- copy ------------------------------------------------------------------------------------
def test_copy_duplicates_metadata_state_and_checkpoints(api):
    tid = create(api, metadata={"graph_id": "steps", "k": "v"})["thread_id"]
    update_state(api, tid, values={"counter": 1, "log": ["a"]})
    update_state(api, tid, values={"counter": 2, "log": ["b"]}, as_node="one")
    response = api.post(f"/threads/{tid}/copy")
    assert response.status_code == 200
    copy = response.json()
    assert copy["thread_id"] != tid and list(copy) == STATE_FIELDS
    assert copy["metadata"] == {"graph_id": "steps", "k": "v"}
    assert copy["values"] == {"counter": 2, "log": ["a", "b"]} and copy["status"] == "interrupted"
    assert copy["created_at"] == copy["updated_at"]
    source_history = api.get(f"/threads/{tid}/history?limit=10").json()
    copy_history = api.get(f"/threads/{copy['thread_id']}/history?limit=10").json()
    assert [s["checkpoint_id"] for s in copy_history] == [s["checkpoint_id"] for s in source_history]
    assert [s["values"] for s in copy_history] == [s["values"] for s in source_history]
    assert {s["checkpoint"]["thread_id"] for s in copy_history} == {copy["thread_id"]}
    # The copy evolves on its own.
    update_state(api, copy["thread_id"], values={"counter": 9}, as_node="two")
    assert api.get(f"/threads/{tid}/state").json()["values"]["counter"] == 2


def test_copy_of_a_thread_without_state(api):
    tid = create(api, metadata={"a": 1})["thread_id"]
    response = api.post(f"/threads/{tid}/copy", {}, format="json")
    assert response.status_code == 200
    assert response.json()["metadata"] == {"a": 1} and response.json()["values"] is None


def test_copy_missing_and_invalid_ids(api):
    response = api.post(f"/threads/{MISSING}/copy")
    assert response.status_code == 404 and detail(response) == f"Thread with ID {MISSING} not found"
    assert api.post("/threads/abc/copy").status_code == 422
    assert Thread.objects.count() == 0


# --- prune -----------------------------------------------------------------------------------
def test_prune_delete(api):
    keep = create(api)["thread_id"]
    ids = [create(api, metadata={"graph_id": "steps"})["thread_id"] for _ in range(2)]
    update_state(api, ids[0], values={"counter": 1})
    response = api.post("/threads/prune", {"thread_ids": ids + [MISSING]}, format="json")
    assert response.status_code == 200 and response.json() == {"pruned_count": 2}
    assert list(Thread.objects.values_list("thread_id", flat=True)) == [uuid.UUID(keep)]
    assert checkpoint_count(ids[0]) == 0
    assert api.post("/threads/prune", {"thread_ids": []}, format="json").json() == {"pruned_count": 0}


def test_prune_keep_latest_keeps_thread_and_latest_checkpoint(api):
    tid = create(api, metadata={"graph_id": "steps"})["thread_id"]
    for counter in range(3):
        update_state(api, tid, values={"counter": counter})
    before = api.get(f"/threads/{tid}/state").json()
    response = api.post("/threads/prune", {"thread_ids": [tid], "strategy": "keep_latest"}, format="json")
    assert response.json() == {"pruned_count": 1}
    assert checkpoint_count(tid) == 1
    after = api.get(f"/threads/{tid}/state").json()
    assert after["values"] == before["values"] and after["checkpoint_id"] == before["checkpoint_id"]
    assert Thread.objects.get(pk=tid).values == before["values"]


def test_prune_keep_latest_skips_threads_with_runs_in_flight(api):
    tid = create(api, metadata={"graph_id": "steps"})["thread_id"]
    update_state(api, tid, values={"counter": 1})
    update_state(api, tid, values={"counter": 2})
    add_run(tid)
    response = api.post("/threads/prune", {"thread_ids": [tid], "strategy": "keep_latest"}, format="json")
    assert response.json() == {"pruned_count": 0} and checkpoint_count(tid) == 2


@pytest.mark.parametrize("body, field", [
    ({}, "thread_ids"), ({"thread_ids": ["abc"]}, "thread_ids"), ({"thread_ids": "x"}, "thread_ids"),
    ({"thread_ids": [MISSING], "strategy": "bogus"}, "strategy"),
])
def test_prune_rejects_bad_fields(api, body, field):
    keep = create(api)["thread_id"]
    response = api.post("/threads/prune", body, format="json")
    assert response.status_code == 422 and field in detail(response)
    assert Thread.objects.filter(pk=keep).exists()
