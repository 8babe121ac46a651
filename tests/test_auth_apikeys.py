"""The built-in authenticator (AGENTSERVER_API_KEYS=1) against a live server, through langgraph_sdk.

Keys are made with ``manage.py apikey`` on the live server's database, as an operator would."""
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError

from tests.conftest import ROOT, LiveServer, free_port, server_env
from tests.test_auth_custom import every_endpoint, request

CONFIG = ROOT / "tests" / "auth" / "keys.json"


# `manage.py apikey` as an operator runs it, in one process (each manage.py start costs seconds).
MAKE_KEYS = """
import io, json
from django.core.management import call_command

def apikey(*args):
    out = io.StringIO()
    call_command("apikey", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()

keys = {
    "alice": apikey("create", "--user", "alice", "--create-user", "--name", "laptop"),
    "bob": apikey("create", "--user", "bob", "--create-user"),
    "ops": apikey("create", "--user", "ops", "--create-user", "--access-all"),
    "expired": apikey("create", "--user", "alice", "--expires", "2000-01-01T00:00:00"),
    "revoked": apikey("create", "--user", "alice", "--name", "old"),
}
apikey("revoke", keys["revoked"])
print(json.dumps(keys))
"""


def manage(server, *args):
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=server.env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def keys_server():
    data_dir = Path(tempfile.mkdtemp(prefix="agentserver-keys-"))
    env = server_env(data_dir, db_suffix="_live_keys", LANGGRAPH_CONFIG=str(CONFIG),
                     AGENTSERVER_API_KEYS="1")
    server = LiveServer(env, free_port(), data_dir / "server.log")
    server.start()
    server.keys = json.loads(manage(server, "shell", "-c", MAKE_KEYS).splitlines()[-1])
    yield server
    server.stop()


def sdk_as(server, user):
    return get_client(url=server.url, api_key=server.keys[user])


def http_as(server, user=None, *, bearer=False):
    headers = {}
    if user is not None:
        key = server.keys.get(user, user)
        headers = {"Authorization": f"Bearer {key}"} if bearer else {"x-api-key": key}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def test_every_endpoint_needs_a_usable_key(keys_server):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for who in (None, "expired", "revoked", "as_not-a-key"):
        with http_as(keys_server, who) as http:
            for method, path, body in every_endpoint(*ids):
                response = request(http, method, path, body)
                assert response.status_code == 401, (who, method, path, response.text)
                assert "API key" in response.json()["detail"]
                assert response.headers["www-authenticate"].startswith("Bearer")
    with http_as(keys_server) as http:
        assert http.get("/ok").status_code == 200
        schemes = http.get("/openapi.json").json()["components"]["securitySchemes"]
        assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    with http_as(keys_server, "alice", bearer=True) as http:
        assert http.post("/threads/count", json={}).status_code == 200


async def test_resources_belong_to_the_keys_user_and_are_404_to_others(keys_server):
    alice, bob, ops = sdk_as(keys_server, "alice"), sdk_as(keys_server, "bob"), sdk_as(keys_server, "ops")
    tag = str(uuid.uuid4())
    thread = await alice.threads.create(metadata={"tag": tag, "owner": "mallory"})
    assert thread["metadata"]["owner"] == "alice"  # stamped, whatever the client sent
    await alice.threads.create(metadata={"tag": tag})
    await bob.threads.create(metadata={"tag": tag})
    assert await alice.threads.count(metadata={"tag": tag}) == 2
    assert await bob.threads.count(metadata={"tag": tag}) == 1
    assert await ops.threads.count(metadata={"tag": tag}) == 3  # granted access to all
    result = await alice.runs.wait(thread["thread_id"], "whoami", input={})
    assert result["identity"] == "alice" and result["owner"] == "alice"
    runs = await alice.runs.list(thread["thread_id"])
    assistant = await alice.assistants.create("echo", metadata={"tag": tag})
    assert assistant["metadata"]["owner"] == "alice"
    t, r, a = thread["thread_id"], runs[0]["run_id"], assistant["assistant_id"]
    creates = {"/assistants", "/threads", "/threads/search", "/threads/count", "/assistants/search",
               "/assistants/count", "/runs", "/runs/stream", "/runs/wait", "/runs/batch", "/threads/prune"}
    with http_as(keys_server, "bob") as http:
        for method, path, body in every_endpoint(t, r, a):
            if path in creates:
                continue
            response = request(http, method, path, body)
            if path.endswith("/commands"):
                assert response.json()["error"] == "not_found", response.text
                continue
            assert response.status_code == 404, (method, path, response.status_code, response.text)
        # bob may not run alice's assistant, even on his own thread
        mine = http.post("/threads", json={}).json()
        response = http.post(f"/threads/{mine['thread_id']}/runs/wait", json={"assistant_id": a, "input": {}})
        assert response.status_code == 404
        assert http.post("/runs/cancel", json={"thread_id": t}).status_code == 404
    # the system assistants stay readable and runnable by everyone, changeable by no plain user
    found = await bob.assistants.search(graph_id="echo")
    assert [x["metadata"].get("created_by") for x in found] == ["system"]
    with pytest.raises(NotFoundError):
        await bob.assistants.update(found[0]["assistant_id"], name="mine now")
    assert (await bob.runs.wait(None, "echo", input={"messages": []})) is not None
    assert await alice.assistants.count(metadata={"tag": tag}) == 1
    assert await bob.assistants.count(metadata={"tag": tag}) == 0
    assert (await ops.threads.get(t))["thread_id"] == t


def test_keys_are_listed_by_prefix_with_last_use(keys_server):
    with http_as(keys_server, "alice") as http:
        assert http.post("/threads/count", json={}).status_code == 200
    listing = manage(keys_server, "apikey", "list", "--user", "alice", "--all")
    rows = [line.split("\t") for line in listing.splitlines()]
    by_name = {row[3]: row for row in rows}
    assert by_name["laptop"][4] == "active" and "last_used=-" not in by_name["laptop"][6]
    assert by_name["old"][4] == "revoked"
    assert all(keys_server.keys["alice"] not in line for line in listing.splitlines())
