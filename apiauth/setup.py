"""Turning authentication on: which authenticator (langgraph.json ``auth`` or the API keys), the
pipeline policy that authenticates every API request, and the authorizer of ``agentserver.api.access``.

Auth is off (nothing registered, every request as before) unless langgraph.json has ``auth.path``
or ``AGENTSERVER["API_KEYS"]`` is on. Custom auth wins when both are set."""
import functools
import json
import logging
from pathlib import Path

from agentserver.api import access, pipeline
from agentserver.conf import agent_settings
from apiauth.sessions import OperatorUser, staff_operator

logger = logging.getLogger(__name__)

# Paths every client may call without credentials (health, server info, the schema), as the reference.
OPEN_PATHS = ("/", "/ok", "/info", "/openapi.json", "/docs")


def auth_config() -> dict:
    """langgraph.json's ``auth`` object (``{}`` when absent or unreadable: graphs.py reports those)."""
    path = Path(agent_settings.GRAPHS_CONFIG)
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    auth = config.get("auth") if isinstance(config, dict) else None
    return {**auth, "_base_dir": str(path.resolve().parent)} if isinstance(auth, dict) else {}


def mode() -> str | None:
    """``"custom"``, ``"api_keys"`` or None (auth off)."""
    if auth_config().get("path"):
        return "custom"
    if agent_settings.API_KEYS:
        return "api_keys"
    return None


@functools.lru_cache(maxsize=1)
def backend():
    """The authenticator/authorizer in use (loaded once; a broken auth file fails here, named)."""
    current = mode()
    if current == "custom":
        from apiauth.custom import CustomAuth, load_auth_object

        config = auth_config()
        return CustomAuth(load_auth_object(config["path"], Path(config["_base_dir"])))
    if current == "api_keys":
        from apiauth.builtin import ApiKeyAuth

        return ApiKeyAuth()
    return None


def authenticate(api_request):
    """The pipeline policy: sets ``api_request.user`` or refuses the request (401 / the handler's)."""
    if api_request.path in OPEN_PATHS or pipeline.is_open_route(api_request):
        return
    operator = staff_operator(api_request)  # the admin's console (apiauth.sessions)
    api_request.user = operator if operator is not None else backend().authenticate(api_request)


class _Authorizer:
    def authorize(self, user, resource, action, value):
        if isinstance(user, OperatorUser):
            return None  # a staff session: reads everything, as the admin does
        return backend().authorize(user, resource, action, value)


def install():
    """Register (or, auth off, unregister) the policy and the authorizer; called from ``ready()``
    and by tests after changing the configuration."""
    backend.cache_clear()
    pipeline.register_policy(None)
    access.register(None)
    if mode() is None:
        return
    pipeline.register_policy(authenticate)
    access.register(_Authorizer())


def load_on_start(sender=None, **kwargs):
    if mode() is not None:
        backend()
        logger.info("authentication on: %s", mode())
