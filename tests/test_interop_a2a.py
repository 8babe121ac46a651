"""A2A at /a2a/{assistant_id}, driven by the a2a-sdk client (A2A 1.0, and the 0.3 methods the
reference serves: message/send, message/stream, tasks/get, tasks/cancel) against the live server."""
import uuid

import httpx
import pytest
from a2a.client import ClientConfig, ClientFactory, create_client
from a2a.helpers.proto_helpers import get_artifact_text, get_data_parts, new_data_part, new_text_message
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Message,
    Role,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskState,
)
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError

ECHO = "046b5dc7-2108-582c-9c6c-31d556d138f0"  # the system assistant of graph "echo"
COMPLETED, WORKING = TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_WORKING


def text_message(text, context_id=None):
    message = new_text_message(text, role=Role.ROLE_USER)
    if context_id:
        message.context_id = context_id
    return message


async def client_for(base_url, assistant_id=ECHO, *, streaming=True, version=None):
    config = ClientConfig(streaming=streaming)
    if version is None:
        return await create_client(f"{base_url}/a2a/{assistant_id}", client_config=config)
    async with httpx.AsyncClient() as http:
        card_json = (await http.get(f"{base_url}/a2a/{assistant_id}/.well-known/agent-card.json")).text
    from google.protobuf.json_format import Parse

    card = Parse(card_json, AgentCard(), ignore_unknown_fields=True)
    keep = [i for i in card.supported_interfaces if i.protocol_version == version]
    del card.supported_interfaces[:]
    card.supported_interfaces.extend(keep)
    return ClientFactory(config).create(card)


async def send(client, message):
    return [response async for response in client.send_message(SendMessageRequest(message=message))]


def test_agent_card_at_the_well_known_paths(http):
    card = http.get(f"/a2a/{ECHO}/.well-known/agent-card.json").json()
    assert card["name"] == "echo" and card["capabilities"]["streaming"] is True
    assert {i["protocolVersion"] for i in card["supportedInterfaces"]} == {"1.0", "0.3"}
    assert card["supportedInterfaces"][0]["url"].endswith(f"/a2a/{ECHO}")
    assert http.get("/.well-known/agent-card.json", params={"assistant_id": ECHO}).json()["name"] == "echo"
    missing = http.get("/.well-known/agent-card.json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == -32602
    assert http.get(f"/a2a/{uuid.uuid4()}/.well-known/agent-card.json").status_code == 404


@pytest.mark.parametrize("version", ["1.0", "0.3"])
async def test_send_then_get_task(base_url, version):
    client = await client_for(base_url, streaming=False, version=version)
    async with client:
        [response] = await send(client, text_message("hello a2a"))
        task = response.task
        assert task.status.state == COMPLETED
        assert get_artifact_text(task.artifacts[0]) == "echo: hello a2a"
        assert uuid.UUID(task.context_id) and uuid.UUID(task.id)
        fetched = await client.get_task(GetTaskRequest(id=task.id))
        assert fetched.status.state == COMPLETED and fetched.context_id == task.context_id
        assert get_artifact_text(fetched.artifacts[0]) == "echo: hello a2a"
        assert fetched.history[0].parts[0].text == "hello a2a"


async def test_context_id_is_the_thread(base_url, sdk):
    context_id = str(uuid.uuid4())
    async with await client_for(base_url, streaming=False) as client:
        await send(client, text_message("first", context_id))
        [response] = await send(client, text_message("second", context_id))
    assert response.task.context_id == context_id
    state = await sdk.threads.get_state(context_id)
    assert [m["content"] for m in state["values"]["messages"]] == ["first", "echo: first", "second", "echo: second"]


@pytest.mark.parametrize("version", ["1.0", "0.3"])
async def test_message_stream(base_url, version):
    async with await client_for(base_url, version=version) as client:
        responses = await send(client, text_message("streamed"))
    kinds = [r.WhichOneof("payload") for r in responses]
    assert kinds[0] == "task" and kinds[-1] == "status_update"
    assert WORKING in [r.status_update.status.state for r in responses if r.HasField("status_update")]
    artifacts = [r.artifact_update.artifact for r in responses if r.HasField("artifact_update")]
    assert get_artifact_text(artifacts[0]) == "echo: streamed"
    assert responses[-1].status_update.status.state == COMPLETED
    progress = [r.status_update.status.message.parts[0].text for r in responses
                if r.HasField("status_update") and r.status_update.status.message.parts]
    assert progress == ["echo: streamed"]


async def test_stream_on_a_context_announces_only_this_turn(base_url):
    context_id = str(uuid.uuid4())
    async with await client_for(base_url) as client:
        await send(client, text_message("one", context_id))
        responses = await send(client, text_message("two", context_id))
    progress = [r.status_update.status.message.parts[0].text for r in responses
                if r.HasField("status_update") and r.status_update.status.message.parts]
    assert progress == ["echo: two"]


async def test_data_parts_are_the_input_and_failures_are_failed_tasks(base_url, sdk):
    steps = (await sdk.assistants.search(graph_id="steps"))[0]["assistant_id"]
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[new_data_part({"counter": 1})])
    async with await client_for(base_url, steps, streaming=False) as client:
        [response] = await send(client, message)
    assert response.task.status.state == COMPLETED
    assert get_data_parts(response.task.artifacts[0].parts)[0]["counter"] == 4  # 1 was an int for the graph
    fail = (await sdk.assistants.search(graph_id="fail"))[0]["assistant_id"]
    async with await client_for(base_url, fail, streaming=False) as client:
        [response] = await send(client, text_message("x"))
    assert response.task.status.state == TaskState.TASK_STATE_FAILED
    assert "boom" in response.task.status.message.parts[0].text


async def test_cancel_task(base_url, sdk):
    slow = (await sdk.assistants.search(graph_id="slow"))[0]["assistant_id"]
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER,
                      parts=[new_data_part({"n": 200, "delay": 0.05})])
    async with await client_for(base_url, slow, version="0.3") as client:
        stream = client.send_message(SendMessageRequest(message=message))
        async for response in stream:
            if response.HasField("status_update") and response.status_update.status.state == WORKING:
                task_id = response.status_update.task_id
                break
        cancelled = await client.cancel_task(CancelTaskRequest(id=task_id))
        await stream.aclose()
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
        with pytest.raises(TaskNotCancelableError, match="CANCELED"):
            await client.cancel_task(CancelTaskRequest(id=task_id))
        with pytest.raises(TaskNotFoundError):
            await client.get_task(GetTaskRequest(id=str(uuid.uuid4())))


def test_protocol_errors(http):
    rpc = {"jsonrpc": "2.0", "id": "1", "method": "message/send",
           "params": {"message": {"role": "user", "parts": [{"kind": "file", "file": {"uri": "x"}}],
                                  "messageId": "m1"}}}
    body = http.post(f"/a2a/{ECHO}", json=rpc).json()
    assert body["error"]["code"] in (-32602, -32600)
    assert "error" in http.post(f"/a2a/{ECHO}", json={**rpc, "method": "nope/nope"}).json()
    assert http.post(f"/a2a/{ECHO}", content=b"{bad").json()["error"]["code"] == -32700
    assert http.post(f"/a2a/{uuid.uuid4()}", json=rpc).status_code == 404
    rpc["params"]["message"]["contextId"] = "not-a-uuid"
    rpc["params"]["message"]["parts"] = [{"kind": "text", "text": "hi"}]
    assert http.post(f"/a2a/{ECHO}", json=rpc).json()["error"]["code"] == -32602


async def test_interrupt_asks_for_input_and_the_next_message_resumes(base_url, sdk):
    hitl = (await sdk.assistants.search(graph_id="hitl"))[0]["assistant_id"]
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER,
                      parts=[new_data_part({"question": "ship it?"})])
    async with await client_for(base_url, hitl, streaming=False) as client:
        [response] = await send(client, message)
        task = response.task
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        assert get_data_parts(task.status.message.parts) == [{"question": "ship it?"}]
        [response] = await send(client, text_message("yes", task.context_id))
        assert response.task.status.state == COMPLETED
        assert get_data_parts(response.task.artifacts[0].parts)[0] == {
            "question": "ship it?", "answer": "yes", "done": True}
        listed = await client.list_tasks(ListTasksRequest(context_id=task.context_id))
        assert [t.id for t in listed.tasks] == [response.task.id, task.id]


@pytest.mark.parametrize("version", ["1.0", "0.3"])
async def test_resubscribe_to_a_running_and_to_a_finished_task(base_url, sdk, version):
    slow = (await sdk.assistants.search(graph_id="slow"))[0]["assistant_id"]
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER,
                      parts=[new_data_part({"n": 20, "delay": 0.05})])
    async with await client_for(base_url, slow, version=version) as client:
        stream = client.send_message(SendMessageRequest(message=message))
        first = await stream.__anext__()
        task_id = first.task.id
        await stream.aclose()
        resubscribed = [r async for r in client.subscribe(SubscribeToTaskRequest(id=task_id))]
        assert resubscribed[-1].status_update.status.state == COMPLETED
        again = [r async for r in client.subscribe(SubscribeToTaskRequest(id=task_id))]
        assert again[-1].status_update.status.state == COMPLETED
        artifact = next(r.artifact_update.artifact for r in again if r.HasField("artifact_update"))
        assert get_data_parts(artifact.parts)[0]["ticks"][:20] == list(range(20))
