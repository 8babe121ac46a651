"""Assistants API, graph endpoints (drawing, schemas, subgraphs) and delete side effects,
through DRF's test client."""
import uuid

import pytest
from django.utils import timezone

from agentserver import persistence, runtime
from agentserver.graphs import registry
from agentserver.ids import system_assistant_id
from assistants.models import Assistant
from runs.models import Run
from streaming.models import Event
from threads.models import Thread

pytestmark = pytest.mark.django_db

MISSING = "00000000-0000-0000-0000-000000000999"
SCHEMA_KEYS = ["input_schema", "output_schema", "state_schema", "config_schema", "context_schema"]


def sid(graph_id):
    return str(system_assistant_id(graph_id))


def get(api, path, status=200):
    response = api.get(path)
    assert response.status_code == status, response.content
    return response.json()


# --- /graph ----------------------------------------------------------------------------------
def test_graph_drawing_of_a_simple_graph(api):
    body = get(api, f"/assistants/{sid('echo')}/graph")
    assert body["nodes"] == [
        {"id": "__start__", "type": "runnable", "data": {"name": "__start__"}},
        {"id": "reply", "type": "runnable", "data": {"name": "reply"}},
        {"id": "__end__"},
    ]
    assert body["edges"] == [{"source": "__start__", "target": "reply"}, {"source": "reply", "target": "__end__"}]


def test_graph_xray_expands_subgraphs(api):
    plain = get(api, f"/assistants/{sid('sub')}/graph")
    assert [n["id"] for n in plain["nodes"]] == ["__start__", "pre", "child", "post", "__end__"]
    for xray in ("true", "True", "1", "2"):
        body = get(api, f"/assistants/{sid('sub')}/graph?xray={xray}")
        ids = [n["id"] for n in body["nodes"]]
        assert "child:child_a" in ids and "child:child_b" in ids and "child" not in ids, xray
        assert all("id" not in (n.get("data") or {}) for n in body["nodes"])
    assert get(api, f"/assistants/{sid('sub')}/graph?xray=false") == plain


def test_graph_accepts_a_graph_id_for_its_system_assistant(api):
    assert get(api, "/assistants/sub/graph") == get(api, f"/assistants/{sid('sub')}/graph")


def test_graph_of_a_builder_and_of_a_factory(api):
    for graph_id in ("builder", "factory"):
        body = get(api, f"/assistants/{sid(graph_id)}/graph")
        assert [n["id"] for n in body["nodes"]] == ["__start__", "ok", "__end__"]


def test_graph_uses_the_assistants_current_graph(api):
    aid = api.post("/assistants", {"graph_id": "echo"}, format="json").json()["assistant_id"]
    api.patch(f"/assistants/{aid}", {"graph_id": "steps"}, format="json")
    body = get(api, f"/assistants/{aid}/graph")
    assert [n["id"] for n in body["nodes"]] == ["__start__", "one", "two", "three", "__end__"]


def test_graph_errors(api):
    for xray in ("0", "-1", "abc", "1.5"):
        response = api.get(f"/assistants/{sid('sub')}/graph?xray={xray}")
        assert response.status_code == 422 and response.json() == {"detail": "Invalid xray value"}
    assert get(api, f"/assistants/{MISSING}/graph", 404) == {"detail": "Not Found"}
    assert get(api, "/assistants/nope/graph", 422) == {"detail": "Invalid assistant ID: must be a UUID"}


# --- /schemas --------------------------------------------------------------------------------
def test_schemas_of_a_messages_graph(api):
    body = get(api, f"/assistants/{sid('echo')}/schemas")
    assert list(body) == ["graph_id", *SCHEMA_KEYS]
    assert body["graph_id"] == "echo"
    assert "messages" in body["input_schema"]["properties"]
    assert "messages" in body["output_schema"]["properties"]
    assert body["state_schema"]["title"] == "echo_state"
    assert list(body["state_schema"]["properties"]) == ["messages"]
    assert body["config_schema"] == {} and body["context_schema"] is None


def test_schemas_state_schema_lists_the_channels_with_their_types(api):
    body = get(api, f"/assistants/{sid('steps')}/schemas")
    assert body["state_schema"] == {
        "properties": {
            "counter": {"default": None, "title": "Counter", "type": "integer"},
            "log": {"default": None, "items": {"type": "string"}, "title": "Log", "type": "array"},
        },
        "title": "steps_state",
        "type": "object",
    }


def test_schemas_of_a_factory_graph(api):
    body = get(api, f"/assistants/{sid('factory')}/schemas")
    assert body["graph_id"] == "factory" and body["state_schema"]["title"] == "factory_state"
    assert list(body["state_schema"]["properties"]) == ["x"]


def test_schemas_errors(api):
    assert get(api, f"/assistants/{MISSING}/schemas", 404) == {"detail": "Not Found"}
    assert get(api, "/assistants/echo/schemas", 422) == {"detail": "Invalid assistant ID: must be a UUID"}
    aid = uuid.uuid4()
    Assistant.objects.create(assistant_id=aid, graph_id="gone")
    assert get(api, f"/assistants/{aid}/schemas", 404) == {"detail": f"assistant {aid} not found"}


# --- /subgraphs ------------------------------------------------------------------------------
def test_subgraphs(api):
    body = get(api, f"/assistants/{sid('sub')}/subgraphs")
    assert list(body) == ["child"]
    assert list(body["child"]) == SCHEMA_KEYS
    assert body["child"]["state_schema"] == {
        "properties": {"value": {"default": None, "title": "Value", "type": "string"}},
        "title": "LangGraphState",
        "type": "object",
    }
    assert get(api, f"/assistants/{sid('sub')}/subgraphs?recurse=true") == body
    assert get(api, f"/assistants/{sid('sub')}/subgraphs/child") == body
    assert get(api, f"/assistants/{sid('sub')}/subgraphs/child?recurse=false") == body
    assert get(api, f"/assistants/{sid('sub')}/subgraphs/nope") == {}
    assert get(api, f"/assistants/{sid('echo')}/subgraphs") == {}


def test_subgraphs_errors(api):
    response = api.get(f"/assistants/{sid('sub')}/subgraphs?recurse=maybe")
    assert response.status_code == 422 and response.json()["detail"].startswith("recurse: ")
    assert get(api, f"/assistants/{MISSING}/subgraphs", 404) == {"detail": "Not Found"}
    assert get(api, f"/assistants/{MISSING}/subgraphs/child", 404) == {"detail": "Not Found"}
    assert get(api, "/assistants/sub/subgraphs", 422) == {"detail": "Invalid assistant ID: must be a UUID"}


# --- DELETE side effects ---------------------------------------------------------------------
def _thread_with_run(*, assistant_id, status="pending", linked=True):
    metadata = {"assistant_id": str(assistant_id), "graph_id": "steps"} if linked else {"other": 1}
    thread = Thread.objects.create(metadata=metadata)
    run = Run.objects.create(thread=thread, assistant_id=assistant_id, graph_id="steps", status=status,
                             available_at=timezone.now())
    Event.objects.create(thread_id=thread.pk, run_id=run.pk, seq=1, thread_seq=1, event="values", data="{}")
    return thread, run


def _checkpoint(thread_id):
    async def run_and_read():
        checkpointer = await persistence.get_checkpointer()
        graph = registry.base_graph("steps").copy(update={"checkpointer": checkpointer})
        config = {"configurable": {"thread_id": str(thread_id)}}
        await graph.ainvoke({}, config)
        return await checkpointer.aget_tuple(config)

    return runtime.call(run_and_read(), timeout=30)


def _read_checkpoint(thread_id):
    async def read():
        checkpointer = await persistence.get_checkpointer()
        return await checkpointer.aget_tuple({"configurable": {"thread_id": str(thread_id)}})

    return runtime.call(read(), timeout=30)


def test_delete_cancels_the_assistants_active_runs_and_keeps_threads(api):
    aid = api.post("/assistants", {"graph_id": "steps"}, format="json").json()["assistant_id"]
    thread, run = _thread_with_run(assistant_id=aid)
    assert api.delete(f"/assistants/{aid}").status_code == 204
    run.refresh_from_db()
    assert run.status == "interrupted"
    assert Thread.objects.filter(pk=thread.pk).exists()


def test_delete_with_delete_threads_removes_its_threads_runs_events_and_checkpoints(api):
    aid = api.post("/assistants", {"graph_id": "steps"}, format="json").json()["assistant_id"]
    thread, run = _thread_with_run(assistant_id=aid, status="success")
    other, other_run = _thread_with_run(assistant_id=aid, status="success", linked=False)
    assert _checkpoint(thread.pk) is not None and _checkpoint(other.pk) is not None
    response = api.delete(f"/assistants/{aid}?delete_threads=true")
    assert response.status_code == 204
    assert not Thread.objects.filter(pk=thread.pk).exists()
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not Event.objects.filter(thread_id=thread.pk).exists()
    assert _read_checkpoint(thread.pk) is None
    assert Thread.objects.filter(pk=other.pk).exists() and Run.objects.filter(pk=other_run.pk).exists()
    assert Event.objects.filter(thread_id=other.pk).count() == 1 and _read_checkpoint(other.pk) is not None
    assert not Assistant.objects.filter(pk=aid).exists()


def test_delete_threads_false_keeps_threads(api):
    aid = api.post("/assistants", {"graph_id": "steps"}, format="json").json()["assistant_id"]
    thread, _ = _thread_with_run(assistant_id=aid, status="success")
    assert api.delete(f"/assistants/{aid}?delete_threads=false").status_code == 204
    assert Thread.objects.filter(pk=thread.pk).exists()
