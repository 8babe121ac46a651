"""The built-in authenticator (``AGENTSERVER["API_KEYS"]``): API keys owned by Django users.

A key is sent as ``x-api-key: <key>`` or ``Authorization: Bearer <key>``. The user it belongs to is
the request's user (``identity`` = the username). Authorization, the same rules for every resource:
what a user creates is stamped ``metadata.owner = <username>`` (which a plain user cannot change
later); reads, searches, counts, updates,
deletes, runs, joins and streams only see what they own (another user's resource is a 404). The
graphs' system assistants are readable (and runnable) by everyone, changeable by no plain user.
Users with the permission ``apiauth.access_all_resources`` (superusers have it) see everything.

The store has no metadata: a plain user's store namespaces start with their own label (the username,
``store_label``); a put, get or delete elsewhere is refused (403), and a search or a namespace listing
without a prefix is narrowed to the user's label. Graphs see the same label as
``config["configurable"]["langgraph_auth_user_id"]`` (modulo ``store_label``'s escaping).
"""
from agentserver.api.exceptions import NotFound
from agentserver.api.pipeline import ApiError
from agentserver.ids import parse_uuid
from apiauth.models import ApiKey
from apiauth.users import AuthUser

ACCESS_ALL = "access_all"
UNAUTHORIZED = ApiError("Missing or invalid API key (send it as x-api-key or Authorization: Bearer)",
                        status_code=401, headers={"WWW-Authenticate": 'Bearer realm="agentserver"'})


def presented_key(api_request):
    key = api_request.header("x-api-key")
    if key:
        return key.strip()
    scheme, _, credentials = (api_request.header("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


STORE_SCOPED = ("search", "list_namespaces")


def store_label(identity):
    """A user's first store label: the username, its periods (which a label may not hold; Django
    usernames never hold '%') written ``%2E``."""
    return identity.replace(".", "%2E")


def _scope_store(identity, action, value):
    label = store_label(identity)
    namespace = tuple(value.get("namespace") or ())
    if not namespace and action in STORE_SCOPED:
        value["namespace"] = (label,)
    elif not namespace or namespace[0] != label:
        raise ApiError(f"Store namespaces of this API key's user start with {label!r}", status_code=403)


def _owned(identity):
    return {"owner": identity}


def _readable_assistants(identity):
    return {"$or": [{"owner": identity}, {"created_by": "system"}]}


class ApiKeyAuth:
    def authenticate(self, api_request):
        key = ApiKey.objects.find(presented_key(api_request))
        if key is None:
            raise UNAUTHORIZED
        key.touch()
        user = key.user
        permissions = ["authenticated"]
        if user.has_perm("apiauth.access_all_resources"):
            permissions.append(ACCESS_ALL)
        return AuthUser(identity=user.get_username(), display_name=user.get_full_name() or user.get_username(),
                        permissions=permissions, is_authenticated=True, user_id=user.pk, api_key=key.prefix)

    def authorize(self, user, resource, action, value):
        identity = user["identity"]
        if resource == "store":
            if ACCESS_ALL not in (user.get("permissions") or []):
                _scope_store(identity, action, value)
            return None
        if action in ("create", "create_run") and isinstance(value, dict):
            metadata = value.get("metadata")
            value["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), "owner": identity}
        if ACCESS_ALL in (user.get("permissions") or []):
            return None
        if action == "update" and isinstance(value.get("metadata"), dict):
            value["metadata"].pop("owner", None)  # a plain user cannot give away (or take) ownership
        if action == "create_run":
            self._check_assistant(identity, value.get("assistant_id"))
        if resource == "assistants" and action in ("read", "search"):
            return _readable_assistants(identity)
        return _owned(identity)

    @staticmethod
    def _check_assistant(identity, assistant_id):
        from assistants.models import Assistant

        parsed = parse_uuid(assistant_id) if isinstance(assistant_id, str) else None
        if parsed is None:
            return  # a graph name: its system assistant, readable by everyone
        exists = Assistant.objects.filter(pk=parsed).exists()
        if exists and not Assistant.objects.visible(_readable_assistants(identity)).filter(pk=parsed).exists():
            raise NotFound("Thread or assistant not found.")
