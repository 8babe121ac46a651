"""The custom auth of the live-server auth tests (langgraph.json ``auth.path``).

Tokens: ``Bearer alice`` (a MinimalUserDict with permissions), ``Bearer bob`` (a plain string),
``Bearer carol`` (may not create threads: the handler returns False), ``Bearer admin`` (sees every
thread, may delete assistants), ``Bearer teapot`` (the authenticate handler raises a 418 with a
header). Anything else is a 401.

The store is scoped by prefixing every namespace with the caller's identity (carol may not use it);
crons are owner-stamped and owner-filtered by the global handler, except that carol may not create
one (a 403 with a detail)."""
from langgraph_sdk import Auth

auth = Auth()
SEEN = {}


@auth.authenticate
async def authenticate(authorization, headers, path, method, query_params, request):
    assert isinstance(headers, dict) and all(isinstance(k, bytes) for k in headers)
    assert request.method == method and request.url.path == path
    if not authorization:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Missing token")
    scheme, _, token = authorization.partition(" ")
    if token == "teapot":
        raise Auth.exceptions.HTTPException(status_code=418, detail="I'm a teapot", headers={"x-teapot": "yes"})
    if token == "alice":
        return {"identity": "alice", "display_name": "Alice", "permissions": ["threads:write"], "team": "red"}
    if token == "bob":
        return "bob"
    if token == "carol":
        return {"identity": "carol", "permissions": []}
    if token == "admin":
        return {"identity": "admin", "permissions": ["admin"]}
    raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid token")


def _stamp(ctx, value):
    metadata = value.setdefault("metadata", {})
    if metadata is None:
        value["metadata"] = metadata = {}
    metadata["owner"] = ctx.user.identity


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value):
    """Everything not handled more specifically: stamp on create, filter by owner."""
    if ctx.action in ("create", "create_run"):
        _stamp(ctx, value)
    return {"owner": ctx.user.identity}


@auth.on.threads.create
async def create_thread(ctx: Auth.types.AuthContext, value: Auth.types.on.threads.create.value):
    if ctx.user.identity == "carol":
        return False
    _stamp(ctx, value)
    value["metadata"]["participants"] = [ctx.user.identity]
    return {"owner": ctx.user.identity}


@auth.on.threads.read
async def read_thread(ctx: Auth.types.AuthContext, value):
    """Participants may read (and join, and stream) a thread; only its owner may change it."""
    if "admin" in ctx.permissions:
        return None
    return {"participants": {"$contains": ctx.user.identity}}


@auth.on.threads.search
async def search_threads(ctx: Auth.types.AuthContext, value):
    if "admin" in ctx.permissions:
        return None
    return {"owner": {"$eq": ctx.user.identity}}


@auth.on.assistants.delete
async def delete_assistant(ctx: Auth.types.AuthContext, value):
    if "admin" not in ctx.permissions:
        raise Auth.exceptions.HTTPException(status_code=403, detail="Only admins delete assistants")
    return None


@auth.on.assistants.search
async def search_assistants(ctx: Auth.types.AuthContext, value: Auth.types.on.assistants.search.value):
    """Narrows the search by changing the value itself (no filter returned)."""
    value["metadata"]["owner"] = ctx.user.identity


@auth.on.store
async def scope_store(ctx: Auth.types.AuthContext, value):
    """The documented per-user store: every namespace (item, search prefix, listing prefix) starts
    with the caller's identity; the rewritten namespace is the one used."""
    if ctx.user.identity == "carol":
        return False
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        value["namespace"] = (ctx.user.identity, *namespace)


@auth.on.crons.create
async def create_cron(ctx: Auth.types.AuthContext, value: Auth.types.on.crons.create.value):
    if ctx.user.identity == "carol":
        raise Auth.exceptions.HTTPException(status_code=403, detail="No crons for carol")
    assert value["user_id"] == ctx.user.identity and "schedule" in value and "payload" in value
    _stamp(ctx, value)
    value["metadata"]["stamped_by"] = "crons.create"
