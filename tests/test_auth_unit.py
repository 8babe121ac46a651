"""In-process pieces of authentication: filters in SQL, API keys (model, admin, command), the
pipeline policy switched on and off, webhook hosts."""
import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from apiauth import setup
from apiauth.models import ApiKey, digest
from runs.models import Run
from tests.factories import make_run, make_thread
from threads.models import Thread

pytestmark = pytest.mark.django_db


def with_options(**options):
    return override_settings(AGENTSERVER={**settings.AGENTSERVER, **options})


@pytest.fixture
def users():
    User = get_user_model()
    return User.objects.create_user("alice"), User.objects.create_user("bob")


def visible(filters):
    return {t.metadata["name"] for t in Thread.objects.visible(filters)}


def test_filters_are_applied_in_sql_with_the_reference_operators():
    make_thread(metadata={"name": "a", "owner": "alice", "members": ["alice", "bob"], "n": 1, "ok": True})
    make_thread(metadata={"name": "b", "owner": "bob", "members": ["bob"], "n": 2})
    make_thread(metadata={"name": "c", "owner": "alice", "members": "alice"})
    make_thread(metadata={"name": "d"})
    assert visible({"owner": "alice"}) == {"a", "c"}
    assert visible({"owner": {"$eq": "bob"}}) == {"b"}
    assert visible({"members": {"$contains": "bob"}}) == {"a", "b"}
    assert visible({"members": {"$contains": ["alice", "bob"]}}) == {"a"}
    assert visible({"owner": "alice", "n": 1}) == {"a"}
    assert visible({"ok": True}) == {"a"}
    assert visible({"$or": [{"owner": "bob"}, {"name": "d"}]}) == {"b", "d"}
    assert visible({"owner": {"$regex": "a.*"}}) == set()  # an unknown operator matches nothing
    assert visible(None) == {"a", "b", "c", "d"}
    assert Thread.objects.visible({"owner": "alice"}).count() == 2
    # runs are filtered through their thread's metadata
    run = make_run(make_thread(metadata={"name": "e", "owner": "carol", "members": ["carol"]}))
    assert list(Run.objects.visible({"owner": "carol"})) == [run]
    assert list(Run.objects.visible({"members": {"$contains": "carol"}})) == [run]
    assert not Run.objects.visible({"owner": "alice"}).exists()


def test_api_keys_are_stored_hashed_and_stop_working_when_revoked_or_expired(users):
    alice, bob = users
    key, raw = ApiKey.objects.issue(user=alice, name="ci")
    assert raw.startswith("as_") and key.prefix == raw[:10]
    assert key.digest == digest(raw) and not ApiKey.objects.filter(digest=raw).exists()
    assert ApiKey.objects.find(raw).user == alice
    assert ApiKey.objects.find(raw + "x") is None and ApiKey.objects.find("") is None
    key.revoke()
    assert ApiKey.objects.find(raw) is None
    expiring, raw2 = ApiKey.objects.issue(user=bob, expires_at=timezone.now() + timedelta(hours=1))
    assert ApiKey.objects.find(raw2) is not None
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiKey.objects.find(raw2) is None
    _, raw3 = ApiKey.objects.issue(user=bob)
    bob.is_active = False
    bob.save()
    assert ApiKey.objects.find(raw3) is None


def test_manage_apikey_create_list_revoke(users):
    out = io.StringIO()
    call_command("apikey", "create", "--user", "alice", "--name", "laptop", "--expires", "30d", stdout=out,
                 stderr=io.StringIO())
    raw = out.getvalue().strip()
    key = ApiKey.objects.find(raw)
    assert key.name == "laptop" and key.expires_at > timezone.now() + timedelta(days=29)
    with pytest.raises(CommandError, match="no user"):
        call_command("apikey", "create", "--user", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    call_command("apikey", "create", "--user", "ops", "--create-user", "--access-all", stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert get_user_model().objects.get(username="ops").has_perm("apiauth.access_all_resources")
    listing = io.StringIO()
    call_command("apikey", "list", stdout=listing)
    assert key.prefix in listing.getvalue() and raw not in listing.getvalue()
    call_command("apikey", "revoke", key.prefix, stdout=io.StringIO())
    assert ApiKey.objects.find(raw) is None


@pytest.mark.django_db(transaction=True)
def test_the_admin_shows_a_new_key_once_and_revokes_keys(admin_client, users, client):
    alice, _ = users
    response = admin_client.post("/admin/apiauth/apikey/add/", {"user": alice.pk, "name": "from admin"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    raw = messages[0].rsplit(" ", 1)[-1]
    key = ApiKey.objects.get(name="from admin")
    assert key.digest == digest(raw) and ApiKey.objects.find(raw) == key
    page = admin_client.get("/admin/apiauth/apikey/").content.decode()
    assert key.prefix in page and raw not in page
    admin_client.post("/admin/apiauth/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert ApiKey.objects.find(raw) is None
    assert client.get("/admin/apiauth/apikey/").status_code == 302  # staff only


@pytest.fixture
def api_keys_on():
    with with_options(API_KEYS=True):
        setup.install()
        yield
    setup.install()


def test_api_keys_setting_turns_the_policy_on_and_auth_off_is_unchanged(api, users, api_keys_on):
    alice, bob = users
    _, raw_alice = ApiKey.objects.issue(user=alice)
    _, raw_bob = ApiKey.objects.issue(user=bob)
    response = api.post("/threads", {}, format="json")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/ok").status_code == 200
    created = api.post("/threads", {"metadata": {"x": 1}}, format="json", HTTP_X_API_KEY=raw_alice)
    assert created.status_code == 200 and created.json()["metadata"] == {"x": 1, "owner": "alice"}
    thread_id = created.json()["thread_id"]
    assert api.get(f"/threads/{thread_id}", HTTP_AUTHORIZATION=f"Bearer {raw_alice}").status_code == 200
    assert api.get(f"/threads/{thread_id}", HTTP_AUTHORIZATION=f"Bearer {raw_bob}").status_code == 404
    assert ApiKey.objects.get(digest=digest(raw_alice)).last_used_at is not None
    patched = api.patch(f"/threads/{thread_id}", {"metadata": {"owner": "bob", "y": 2}}, format="json",
                        HTTP_X_API_KEY=raw_alice)
    assert patched.json()["metadata"] == {"x": 1, "owner": "alice", "y": 2}
    # taking over someone else's id is a conflict, never their data
    again = api.post("/threads", {"thread_id": thread_id, "if_exists": "do_nothing"}, format="json",
                     HTTP_X_API_KEY=raw_bob)
    assert again.status_code == 409 and "owner" not in again.content.decode()
    assert api.post("/threads", {"thread_id": thread_id, "if_exists": "do_nothing"}, format="json",
                    HTTP_X_API_KEY=raw_alice).status_code == 200
    assistant = api.post("/assistants", {"graph_id": "echo"}, format="json", HTTP_X_API_KEY=raw_alice).json()
    taken = api.post("/assistants", {"graph_id": "echo", "assistant_id": assistant["assistant_id"],
                                     "if_exists": "do_nothing"}, format="json", HTTP_X_API_KEY=raw_bob)
    assert taken.status_code == 409


def test_without_auth_nothing_is_checked_or_stamped(api):
    assert setup.mode() is None
    created = api.post("/threads", {"metadata": {"x": 1}}, format="json")
    assert created.status_code == 200 and created.json()["metadata"] == {"x": 1}
    assert api.get(f"/threads/{created.json()['thread_id']}").status_code == 200


def test_webhook_hosts_can_be_restricted(api):
    body = {"assistant_id": "echo", "input": {}, "webhook": "http://169.254.169.254/latest"}
    with with_options(WEBHOOK_ALLOWED_HOSTS=["hooks.example.com"]):
        response = api.post("/runs", body, format="json")
        assert response.status_code == 422 and "Webhook host not allowed" in response.json()["detail"]
        from runs.serializers import webhook_host_allowed

        assert webhook_host_allowed("https://a.hooks.example.com/x")
        assert not webhook_host_allowed("https://evilhooks.example.com/x")


def test_a_broken_auth_file_is_a_startup_error(tmp_path):
    from apiauth.checks import check_auth

    config = tmp_path / "langgraph.json"
    config.write_text('{"graphs": {"echo": "x.py:echo"}, "auth": {"path": "./missing.py:auth"}}')
    (tmp_path / "notauth.py").write_text("auth = 42\n")
    with with_options(GRAPHS_CONFIG=str(config)):
        setup.backend.cache_clear()
        errors = check_auth()
        assert [e.id for e in errors] == ["apiauth.E001"] and "file not found" in errors[0].msg
        config.write_text('{"graphs": {"echo": "x.py:echo"}, "auth": {"path": "./notauth.py:auth"}}')
        setup.backend.cache_clear()
        assert "is not a langgraph_sdk.Auth object" in check_auth()[0].msg
    setup.backend.cache_clear()
    assert check_auth() == []


def test_the_most_specific_handler_wins_and_results_map_to_filters_or_refusals():
    from langgraph_sdk import Auth

    from agentserver.api.pipeline import ApiError
    from apiauth.custom import CustomAuth
    from apiauth.users import normalize

    auth = Auth()
    calls = []

    @auth.on
    async def everything(ctx, value):
        calls.append(("global", ctx.resource, ctx.action))
        return {"owner": ctx.user.identity}

    @auth.on.threads
    async def threads(ctx, value):
        calls.append(("threads", ctx.resource, ctx.action))
        value.setdefault("metadata", {})["seen"] = True
        return True

    @auth.on.threads.delete
    async def no_deletes(ctx, value):
        return False

    @auth.on.assistants.update
    async def odd(ctx, value):
        return 42

    @auth.on.crons.read
    async def teapot(ctx, value):
        raise Auth.exceptions.HTTPException(status_code=418, headers={"x": "y"})

    custom = CustomAuth(auth)
    user = normalize({"identity": "alice", "permissions": ["p"], "when": object()})
    value = {}
    assert custom.authorize(user, "threads", "create", value) is None and value == {"metadata": {"seen": True}}
    assert custom.authorize(user, "assistants", "read", {}) == {"owner": "alice"}
    assert calls == [("threads", "threads", "create"), ("global", "assistants", "read")]
    with pytest.raises(ApiError) as denied:
        custom.authorize(user, "threads", "delete", {})
    assert denied.value.status_code == 403
    with pytest.raises(ApiError) as odd_result:
        custom.authorize(user, "assistants", "update", {})
    assert odd_result.value.status_code == 403
    with pytest.raises(ApiError) as raised:
        custom.authorize(user, "crons", "read", {})
    assert (raised.value.status_code, raised.value.detail, raised.value.headers) == (418, "I'm a Teapot", {"x": "y"})
    assert normalize("bob") == {"identity": "bob", "display_name": "bob", "permissions": [], "is_authenticated": True}
    with pytest.raises(TypeError):
        normalize({"permissions": []})
    from agentserver.api.access import _as_json

    assert isinstance(_as_json(user)["when"], str)


def test_builtin_store_scope_is_the_username_label():
    from agentserver.api.pipeline import ApiError
    from apiauth.builtin import ApiKeyAuth
    from apiauth.users import AuthUser

    auth, user = ApiKeyAuth(), AuthUser(identity="j.doe", permissions=["authenticated"])
    for action in ("search", "list_namespaces"):  # no prefix: narrowed to the user's label
        value = {"namespace": None if action == "list_namespaces" else ()}
        assert auth.authorize(user, "store", action, value) is None and value["namespace"] == ("j%2Edoe",)
    value = {"namespace": ("j%2Edoe", "notes"), "key": "k"}
    assert auth.authorize(user, "store", "get", value) is None and value["namespace"] == ("j%2Edoe", "notes")
    for namespace in (("j.doe",), ("other", "j%2Edoe"), ()):
        with pytest.raises(ApiError) as refused:
            auth.authorize(user, "store", "put", {"namespace": namespace, "key": "k", "value": {}})
        assert refused.value.status_code == 403
    ops = AuthUser(identity="ops", permissions=["authenticated", "access_all"])
    value = {"namespace": ("anyone",), "key": "k"}
    assert auth.authorize(ops, "store", "delete", value) is None and value["namespace"] == ("anyone",)


def test_disable_studio_auth_must_be_a_boolean(tmp_path):
    from apiauth.checks import check_auth

    (tmp_path / "auth.py").write_text("from langgraph_sdk import Auth\nauth = Auth()\n")
    config = tmp_path / "langgraph.json"
    with with_options(GRAPHS_CONFIG=str(config)):
        for value, ids in (("true", ["apiauth.W003"]), (True, []), (False, [])):
            auth = {"path": "./auth.py:auth", "disable_studio_auth": value}
            config.write_text(json.dumps({"graphs": {}, "auth": auth}))
            setup.backend.cache_clear()
            assert [m.id for m in check_auth() if m.id != "apiauth.W002"] == ids, value
    setup.backend.cache_clear()
