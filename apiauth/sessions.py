"""The admin's staff session as an API credential, for the console's own requests.

The admin's live run page reads the API with ``fetch`` (the run, its join stream) and the browser
sends the admin's session cookie, not an API key. With auth on, such a request is accepted as a
trusted *operator* (who sees every resource, like the admin) only when all of these hold:

- the method is safe (GET/HEAD): a session never authorizes a write through the API;
- it carries the console's marker header ``X-Agentserver-Console: 1`` (``run_live.js`` sends it);
- the browser did not flag it cross-site: ``Sec-Fetch-Site``, when sent, is ``same-origin``, and
  ``Origin``, when sent, names this host (a page elsewhere cannot ride on the session);
- the session is a valid Django login (same checks as ``django.contrib.auth.get_user``: backend,
  session hash) of an active staff user with the permission ``runs.view_run``.

Anything else falls through to the configured authenticator (API key or custom handler)."""
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare

from apiauth.users import AuthUser

MARKER = "x-agentserver-console"
SAFE_METHODS = ("GET", "HEAD")
PERMISSION = "runs.view_run"


class OperatorUser(AuthUser):
    """A staff user of the admin, authenticated by their session: authorized for everything (reads
    only, see above). A class of its own, so that no authenticator's return value can claim it."""


def _same_origin(api_request) -> bool:
    site = api_request.header("sec-fetch-site")
    if site and site != "same-origin":
        return False
    origin = api_request.header("origin")
    return not origin or urlsplit(origin).netloc == (api_request.header("host") or "")


def _session_user(session_key):
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user_id, backend_path = session.get(SESSION_KEY), session.get(BACKEND_SESSION_KEY)
    if user_id is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not hasattr(user, "get_session_auth_hash"):
        return None
    stored = session.get(HASH_SESSION_KEY) or ""
    if not constant_time_compare(stored, user.get_session_auth_hash()):
        return None
    return user


def staff_operator(api_request) -> OperatorUser | None:
    """The operator this request's admin session proves, or None (see the module's rules)."""
    if api_request.method not in SAFE_METHODS or api_request.header(MARKER) != "1":
        return None
    if not _same_origin(api_request):
        return None
    session_key = parse_cookie(api_request.header("cookie") or "").get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    user = _session_user(session_key)
    if user is None or not (user.is_active and user.is_staff and user.has_perm(PERMISSION)):
        return None
    return OperatorUser(identity=user.get_username(), display_name=user.get_full_name() or user.get_username(),
                        permissions=["authenticated", "operator"], is_authenticated=True, user_id=user.pk)
