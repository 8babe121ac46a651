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
from tests.test_auth_store_crons import FIRE, store_and_cron_endpoints

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
            for method, path, body in every_endpoint(*ids) + store_and_cron_endpoints(ids[0], ids[1]):
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
    # a fired cron runs as its creator, with the stamp of its creation: a PATCH cannot give it away
    on_thread = await alice.crons.create_for_thread(thread["thread_id"], "whoami", schedule="0 0 1 1 *", input={})
    await alice.crons.update(on_thread["cron_id"], metadata={"owner": "bob"})
    run_id = json.loads(manage(keys_server, "shell", "-c", FIRE.format(cron_id=on_thread["cron_id"])).splitlines()[-1])[0]
    await alice.runs.join(thread["thread_id"], run_id)
    assert (await alice.runs.get(thread["thread_id"], run_id))["metadata"]["owner"] == "alice"
    values = (await alice.threads.get_state(thread["thread_id"]))["values"]
    assert values["identity"] == "alice" and values["owner"] == "alice"
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


async def test_the_store_is_scoped_to_the_keys_user(keys_server):
    alice, bob, ops = sdk_as(keys_server, "alice"), sdk_as(keys_server, "bob"), sdk_as(keys_server, "ops")
    tag = uuid.uuid4().hex
    await alice.store.put_item(["alice", tag], "k", {"v": 1})
    await bob.store.put_item(["bob", tag], "k", {"v": 2})
    with http_as(keys_server, "bob") as http:  # elsewhere than under "bob": refused, whatever the action
        for method, path, body in (
            ("PUT", "/store/items", {"namespace": ["alice", tag], "key": "k", "value": {"v": 3}}),
            ("PUT", "/store/items", {"namespace": [tag], "key": "k", "value": {}}),
            ("GET", f"/store/items?namespace=alice.{tag}&key=k", None),
            ("DELETE", "/store/items", {"namespace": ["alice", tag], "key": "k"}),
            ("POST", "/store/items/search", {"namespace_prefix": ["alice"]}),
            ("POST", "/store/namespaces", {"prefix": ["alice"]}),
        ):
            response = request(http, method, path, body)
            assert response.status_code == 403, (method, path, response.text)
            assert "'bob'" in response.json()["detail"]
    assert (await alice.store.get_item(["alice", tag], "k"))["value"] == {"v": 1}
    found = await bob.store.search_items([], limit=100)  # no prefix: narrowed to bob's own
    assert found["items"] and {item["namespace"][0] for item in found["items"]} == {"bob"}
    assert all(ns[0] == "bob" for ns in (await bob.store.list_namespaces())["namespaces"])
    everyone = await ops.store.search_items([], limit=100)  # access to all: the whole store
    assert {"alice", "bob"} <= {item["namespace"][0] for item in everyone["items"]}


async def test_crons_and_copies_belong_to_the_keys_user(keys_server):
    alice, bob, ops = sdk_as(keys_server, "alice"), sdk_as(keys_server, "bob"), sdk_as(keys_server, "ops")
    tag = uuid.uuid4().hex
    cron = await alice.crons.create("echo", schedule="0 0 1 1 *", metadata={"tag": tag, "owner": "bob"})
    assert cron["metadata"]["owner"] == "alice" and cron["user_id"] == "alice"
    assert await alice.crons.count(metadata={"tag": tag}) == 1
    assert await bob.crons.count(metadata={"tag": tag}) == 0 and await ops.crons.count(metadata={"tag": tag}) == 1
    with http_as(keys_server, "bob") as http:
        for method in ("GET", "PATCH", "DELETE"):
            body = {"enabled": False} if method == "PATCH" else None
            assert request(http, method, f"/runs/crons/{cron['cron_id']}", body).status_code == 404, method
    patched = await alice.crons.update(cron["cron_id"], metadata={"owner": "bob", "n": 1})
    assert patched["metadata"]["owner"] == "alice" and patched["metadata"]["n"] == 1  # ownership is not given away
    thread = await alice.threads.create(metadata={"tag": tag})
    with pytest.raises(NotFoundError):
        await bob.threads.copy(thread["thread_id"])
    mine = await alice.threads.copy(thread["thread_id"])
    theirs = await ops.threads.copy(thread["thread_id"])
    assert mine["metadata"] == {"tag": tag, "owner": "alice"}
    assert theirs["metadata"] == {"tag": tag, "owner": "ops"}  # threads.create stamped the copier
    assert await alice.threads.count(metadata={"tag": tag}) == 2
    # a fired cron runs as its creator, with the stamp of its creation: a PATCH cannot give it away
    on_thread = await alice.crons.create_for_thread(thread["thread_id"], "whoami", schedule="0 0 1 1 *", input={})
    await alice.crons.update(on_thread["cron_id"], metadata={"owner": "bob"})
    run_id = json.loads(manage(keys_server, "shell", "-c", FIRE.format(cron_id=on_thread["cron_id"])).splitlines()[-1])[0]
    await alice.runs.join(thread["thread_id"], run_id)
    assert (await alice.runs.get(thread["thread_id"], run_id))["metadata"]["owner"] == "alice"
    values = (await alice.threads.get_state(thread["thread_id"]))["values"]
    assert values["identity"] == "alice" and values["owner"] == "alice"


STAFF = """
from django.contrib.auth.models import Permission, User
view_run = Permission.objects.get(codename="view_run", content_type__app_label="runs")
staffer = User.objects.create_user("staffer", password="pw-staffer", is_staff=True)
staffer.user_permissions.add(view_run)
User.objects.create_user("viewless", password="pw-viewless", is_staff=True)
# a valid login session of a user who is not staff (the admin's login form refuses them)
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
plain = User.objects.create_user("plain", password="pw-plain")
plain.user_permissions.add(view_run)
session = SessionStore()
session.update({SESSION_KEY: str(plain.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: plain.get_session_auth_hash()})
session.create()
print(session.session_key)
"""


def admin_session(server, username, password):
    """An httpx client logged in to the admin as a browser would be (its session cookie)."""
    import re

    http = httpx.Client(base_url=server.url, timeout=30)
    page = http.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    http.post("/admin/login/?next=/admin/", data={"username": username, "password": password,
                                                  "csrfmiddlewaretoken": token})
    assert "sessionid" in http.cookies
    return http


def test_the_consoles_staff_session_reads_the_api_and_nothing_else_does(keys_server):
    import re

    plain_session = manage(keys_server, "shell", "-c", STAFF).splitlines()[-1]
    with http_as(keys_server, "alice") as http:
        thread = http.post("/threads", json={}).json()
        run = http.post(f"/threads/{thread['thread_id']}/runs/wait", json={"assistant_id": "whoami", "input": {}})
        run_id = run.headers["content-location"].rsplit("/", 1)[-1]
    console = {"X-Agentserver-Console": "1", "Sec-Fetch-Site": "same-origin"}
    staff = admin_session(keys_server, "staffer", "pw-staffer")
    page = staff.get(f"/admin/runs/run/{run_id}/change/")
    assert page.status_code == 200, page.status_code
    run_url = re.search(r'data-run-url="([^"]+)"', page.text).group(1)
    stream_url = re.search(r'data-stream-url="([^"]+)"', page.text).group(1)
    assert staff.get(run_url, headers=console).json()["run_id"] == run_id  # the page's own fetches
    replay = staff.get(stream_url, headers={**console, "Last-Event-ID": "-1"})
    assert replay.status_code == 200 and "event: values" in replay.text
    for refused in ({}, {"X-Agentserver-Console": "1", "Sec-Fetch-Site": "cross-site"},
                    {"X-Agentserver-Console": "1", "Origin": "https://evil.example"}):
        response = staff.get(run_url, headers=refused)
        assert response.status_code == 401, (refused, response.text)
    assert staff.post("/threads/search", json={}, headers=console).status_code == 401  # reads only
    viewless = admin_session(keys_server, "viewless", "pw-viewless")  # staff without view_run
    assert viewless.get(run_url, headers=console).status_code == 401
    viewless.close()
    for session in (plain_session, "forged"):  # a user who is not staff; no user at all
        with httpx.Client(base_url=keys_server.url, cookies={"sessionid": session}) as other:
            assert other.get(run_url, headers=console).status_code == 401, session
    with httpx.Client(base_url=keys_server.url, cookies={"sessionid": plain_session}) as other:
        assert other.get("/admin/", follow_redirects=False).status_code == 302  # (a real session, just not staff)
    staff.close()
