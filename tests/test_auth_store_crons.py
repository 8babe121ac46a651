"""Custom auth (tests/auth/auth.py) on the store, crons and thread copies, through langgraph_sdk
against a live server: 401 without credentials, the store handler's namespace rewrite, the cron
owner stamp and filters, another user's cron as a 404, handlers that deny (403)."""
import json
import subprocess
import sys
import uuid

import pytest
from langgraph_sdk.errors import NotFoundError, PermissionDeniedError

from tests.conftest import ROOT
from tests.test_auth_custom import auth_server, client, raw, request  # noqa: F401 - the fixture

NIL = "00000000-0000-0000-0000-000000000001"


def store_and_cron_endpoints(cron_id=NIL, thread_id=NIL):
    return [
        ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}}),
        ("GET", "/store/items?namespace=a&key=k", None),
        ("DELETE", "/store/items", {"namespace": ["a"], "key": "k"}),
        ("POST", "/store/items/search", {}), ("POST", "/store/namespaces", {}),
        ("POST", "/runs/crons", {"assistant_id": "echo", "schedule": "* * * * *"}),
        ("POST", f"/threads/{thread_id}/runs/crons", {"assistant_id": "echo", "schedule": "* * * * *"}),
        ("POST", "/runs/crons/search", {}), ("POST", "/runs/crons/count", {}),
        ("GET", f"/runs/crons/{cron_id}", None), ("PATCH", f"/runs/crons/{cron_id}", {"enabled": False}),
        ("DELETE", f"/runs/crons/{cron_id}", None), ("POST", f"/threads/{thread_id}/copy", None),
    ]


def test_store_crons_and_copy_answer_401_without_credentials(auth_server):  # noqa: F811
    with raw(auth_server) as http:
        for method, path, body in store_and_cron_endpoints():
            response = request(http, method, path, body)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json() == {"detail": "Missing token"}


async def test_the_store_handler_scopes_every_namespace_to_its_user(auth_server):  # noqa: F811
    alice, bob = client(auth_server, "alice"), client(auth_server, "bob")
    tag = uuid.uuid4().hex
    await alice.store.put_item(["notes", tag], "k", {"who": "alice"})
    await bob.store.put_item(["notes", tag], "k", {"who": "bob"})
    mine = await alice.store.get_item(["notes", tag], "k")
    assert mine["value"] == {"who": "alice"} and mine["namespace"] == ["alice", "notes", tag]
    assert (await bob.store.get_item(["notes", tag], "k"))["value"] == {"who": "bob"}
    # bob naming alice's real namespace is scoped again: (bob, alice, notes, tag) has nothing
    assert await bob.store.get_item(["alice", "notes", tag], "k") is None
    found = await alice.store.search_items(["notes", tag])
    assert [item["value"] for item in found["items"]] == [{"who": "alice"}]
    everything = await bob.store.search_items([], limit=100)  # no prefix: only bob's own items
    assert {tuple(item["namespace"][:1]) for item in everything["items"]} == {("bob",)}
    listed = await alice.store.list_namespaces(prefix=["notes"])
    assert listed["namespaces"] == [["alice", "notes", tag]]
    assert all(ns[0] == "bob" for ns in (await bob.store.list_namespaces())["namespaces"])
    await bob.store.delete_item(["notes", tag], "k")  # deletes bob's own item only
    assert (await alice.store.get_item(["notes", tag], "k"))["value"] == {"who": "alice"}
    assert await bob.store.get_item(["notes", tag], "k") is None


def test_a_store_handler_that_denies_answers_403(auth_server):  # noqa: F811
    with raw(auth_server, "carol") as http:
        for method, path, body in store_and_cron_endpoints()[:5]:
            response = request(http, method, path, body)
            assert response.status_code == 403 and response.json() == {"detail": "Forbidden"}, (method, path)


async def test_crons_are_stamped_filtered_and_404_to_others(auth_server):  # noqa: F811
    alice, bob = client(auth_server, "alice"), client(auth_server, "bob")
    tag = uuid.uuid4().hex
    thread = await alice.threads.create()
    mine = [await alice.crons.create("echo", schedule="0 0 1 1 *", metadata={"tag": tag}) for _ in range(2)]
    on_thread = await alice.crons.create_for_thread(thread["thread_id"], "whoami", schedule="0 0 1 1 *",
                                                    metadata={"tag": tag})
    theirs = await bob.crons.create("echo", schedule="0 0 1 1 *", metadata={"tag": tag, "owner": "alice"})
    assert mine[0]["metadata"] == {"tag": tag, "owner": "alice", "stamped_by": "crons.create"}
    assert theirs["metadata"]["owner"] == "bob" and theirs["user_id"] == "bob"
    assert on_thread["payload"]["metadata"]["owner"] == "alice"  # threads.create_run stamped the runs' metadata
    assert await alice.crons.count(metadata={"tag": tag}) == 3
    assert await bob.crons.count(metadata={"tag": tag}) == 1
    page = await alice.crons.search(metadata={"tag": tag}, limit=2)
    assert len(page) == 2 and {c["metadata"]["owner"] for c in page} == {"alice"}
    assert {c["cron_id"] for c in await bob.crons.search(metadata={"tag": tag})} == {theirs["cron_id"]}
    c = mine[0]["cron_id"]
    with raw(auth_server, "bob") as http:
        assert http.get(f"/runs/crons/{c}").status_code == 404
        assert http.patch(f"/runs/crons/{c}", json={"enabled": False}).status_code == 404
        assert http.delete(f"/runs/crons/{c}").status_code == 404
        # a cron on alice's thread: the thread is not bob's to run on
        response = http.post(f"/threads/{thread['thread_id']}/runs/crons",
                             json={"assistant_id": "echo", "schedule": "* * * * *"})
        assert response.status_code == 404, response.text
    with pytest.raises(NotFoundError):
        await bob.crons.delete(c)
    updated = await alice.crons.update(c, enabled=False)
    assert updated["enabled"] is False and updated["metadata"]["owner"] == "alice"
    await alice.crons.delete(c)
    assert await alice.crons.count(metadata={"tag": tag}) == 2
    with raw(auth_server, "admin") as http:  # the global handler: admin sees only admin's crons too
        assert http.post("/runs/crons/count", json={"metadata": {"tag": tag}}).json() == 0


async def test_a_cron_handler_that_denies_answers_403(auth_server):  # noqa: F811
    with pytest.raises(PermissionDeniedError, match="No crons for carol"):
        await client(auth_server, "carol").crons.create("echo", schedule="* * * * *")
    with raw(auth_server, "carol") as http:
        response = http.post("/runs/crons", json={"assistant_id": "echo", "schedule": "* * * * *"})
        assert response.status_code == 403 and response.json() == {"detail": "No crons for carol"}


FIRE = """
import json, time
from datetime import timedelta
from django.utils import timezone
from crons.models import Cron
from crons import scheduler
Cron.objects.filter(pk="{cron_id}").update(next_run_date=timezone.now() - timedelta(minutes=1))
scheduler.fire_due()  # (or the server's own scheduler, polling every second, fires it first)
deadline = time.time() + 20
while time.time() < deadline and Cron.objects.get(pk="{cron_id}").last_run_id is None:
    time.sleep(0.1)
print(json.dumps([str(Cron.objects.get(pk="{cron_id}").last_run_id)]))
"""


async def test_a_fired_cron_runs_as_the_user_who_made_it(auth_server):  # noqa: F811
    alice = client(auth_server, "alice")
    thread = await alice.threads.create()
    cron = await alice.crons.create_for_thread(thread["thread_id"], "whoami", schedule="0 0 1 1 *", input={})
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", FIRE.format(cron_id=cron["cron_id"])],
                          cwd=ROOT, env=auth_server.env, check=True, capture_output=True, text=True)
    run_id = json.loads(done.stdout.strip().splitlines()[-1])[0]
    await alice.runs.join(thread["thread_id"], run_id)
    run = await alice.runs.get(thread["thread_id"], run_id)
    assert run["metadata"]["owner"] == "alice" and run["metadata"]["cron_id"] == cron["cron_id"]
    state = await alice.threads.get_state(thread["thread_id"])
    assert state["values"]["identity"] == "alice" and state["values"]["user_id"] == "alice"
    assert state["values"]["owner"] == "alice"
    assert "langgraph_auth_user" not in json.dumps(cron["payload"])  # kept with the cron, not in its payload


async def test_thread_copy_needs_read_on_the_source_and_create_for_the_copy(auth_server):  # noqa: F811
    alice, bob = client(auth_server, "alice"), client(auth_server, "bob")
    source = await alice.threads.create(metadata={"topic": "copied"})
    with pytest.raises(NotFoundError):
        await bob.threads.copy(source["thread_id"])  # threads.read: not a participant
    await alice.threads.update(source["thread_id"], metadata={"participants": ["alice", "bob"]})
    copy = await bob.threads.copy(source["thread_id"])  # bob may read it now; the copy is his
    assert copy["thread_id"] != source["thread_id"]
    assert copy["metadata"]["owner"] == "bob" and copy["metadata"]["participants"] == ["bob"]
    assert copy["metadata"]["topic"] == "copied"
    assert (await bob.threads.get(copy["thread_id"]))["thread_id"] == copy["thread_id"]
    with pytest.raises(NotFoundError):
        await alice.threads.get(copy["thread_id"])
    with raw(auth_server, "admin") as http:  # admin reads everything; carol's create handler denies
        assert http.get(f"/threads/{source['thread_id']}").status_code == 200
    await alice.threads.update(source["thread_id"], metadata={"participants": ["alice", "carol"]})
    with raw(auth_server, "carol") as http:
        response = http.post(f"/threads/{source['thread_id']}/copy")
        assert response.status_code == 403 and response.json() == {"detail": "Forbidden"}


def test_the_consoles_staff_session_passes_a_custom_handler_too(auth_server):  # noqa: F811
    from tests.test_auth_apikeys import STAFF, admin_session, manage

    manage(auth_server, "shell", "-c", STAFF)
    with raw(auth_server, "alice") as http:
        thread = http.post("/threads", json={}).json()
        run = http.post(f"/threads/{thread['thread_id']}/runs", json={"assistant_id": "whoami", "input": {}}).json()
    run_url = f"/threads/{thread['thread_id']}/runs/{run['run_id']}"
    staff = admin_session(auth_server, "staffer", "pw-staffer")
    try:
        console = {"X-Agentserver-Console": "1", "Sec-Fetch-Site": "same-origin"}
        assert staff.get(f"{run_url}/join", headers=console).json()["identity"] == "alice"
        assert staff.get(run_url, headers=console).json()["run_id"] == run["run_id"]
        refused = staff.get(run_url)  # without the console's marker: the handler's answer
        assert refused.status_code == 401 and refused.json() == {"detail": "Missing token"}
    finally:
        staff.close()
