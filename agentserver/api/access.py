"""Authorization of one API request on one resource, the step after authentication.

The request pipeline's authentication policy (``apiauth``, when auth is configured) sets
``ApiRequest.user`` and registers an ``Authorizer`` here. Views and consumers then ask, per resource
and action, what the caller may do:

    filters = access.authorize(request.api, "threads", "read", {"thread_id": thread_id})
    thread = selectors.get_thread(thread_id=thread_id, filters=filters)

``authorize`` runs the authorizer (LangGraph ``@auth.on`` handlers, or the built-in API-key rules):
it may mutate ``value`` (e.g. stamp ``metadata.owner`` on a create), refuse (403), or return a filter
on the resource's metadata (``agentserver.jsonfilters.access_q``) that the selector or service
applies in SQL. Selectors and services receive filters as data (``filters=``), never this module's
objects, so the apps below the authorizer need not know it. Without an authorizer (auth off),
``authorize`` returns None and nothing changes.

Runs are authorized as actions on their thread, as the reference does: ``threads.create_run``,
``threads.read`` (a run, its join and stream), ``threads.search`` (a thread's list of runs, with
``thread_id``), ``threads.update`` (cancel), ``threads.delete``.

Apps above runs use the same call: crons as ``("crons", "create"|"read"|"update"|"delete"|"search")``
with filters on the cron's metadata; the store as ``("store", "put"|"get"|"search"|"delete"|
"list_namespaces")`` with a value holding ``namespace`` (a handler scopes it by rewriting it, e.g.
prepending the user's identity: read ``value["namespace"]`` back after the call).
"""
from __future__ import annotations

import json
from typing import Any, Protocol

from asgiref.sync import sync_to_async


class AuthUser(dict):
    """The authenticated user: a dict (``identity``, ``display_name``, ``permissions``,
    ``is_authenticated`` and whatever else the authenticator returned) whose keys are also
    attributes, like the reference's user proxy (``ctx.user.identity`` or ``ctx.user["identity"]``).
    It is what reaches the graph as ``config["configurable"]["langgraph_auth_user"]``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def dict(self):
        return dict(self)


class Authorizer(Protocol):
    def authorize(self, user: AuthUser, resource: str, action: str, value: dict) -> dict | None:
        """Filters (None: everything) for ``user`` doing ``action`` on ``resource``; may mutate
        ``value``; raises ``ApiError`` (403) to refuse. Sync: views call it from a worker thread."""


_authorizer: Authorizer | None = None


def register(authorizer: Authorizer | None) -> None:
    global _authorizer
    _authorizer = authorizer


def enabled() -> bool:
    return _authorizer is not None


def user_of(api_request) -> AuthUser | None:
    user = getattr(api_request, "user", None)
    return user if isinstance(user, AuthUser) else None


def authorize(api_request, resource: str, action: str, value: dict) -> dict | None:
    """The filters the caller of ``api_request`` gets for ``action`` on ``resource`` (see above)."""
    user = user_of(api_request)
    if _authorizer is None or user is None:
        return None
    return _authorizer.authorize(user, resource, action, value) or None


async def aauthorize(api_request, resource: str, action: str, value: dict) -> dict | None:
    if _authorizer is None or user_of(api_request) is None:
        return None
    return await sync_to_async(authorize, thread_sensitive=False)(api_request, resource, action, value)


def _run_value(payload: dict, thread_id) -> dict:
    return {
        "thread_id": thread_id, "assistant_id": payload.get("assistant_id"), "run_id": None,
        "status": "pending", "metadata": dict(payload.get("metadata") or {}),
        "prevent_insert_if_inflight": True, "multitask_strategy": payload.get("multitask_strategy") or "enqueue",
        "if_not_exists": payload.get("if_not_exists") or "reject", "after_seconds": payload.get("after_seconds") or 0,
        "kwargs": payload,
    }


def _as_json(user) -> dict:
    """The user as stored with the run: JSON (a value the authenticator returned that JSON cannot
    hold becomes its ``str``)."""
    return json.loads(json.dumps(dict(user), default=str))


def authorize_run(api_request, payload: dict, *, thread_id) -> tuple[dict, dict | None]:
    """``threads.create_run`` for a run-create payload: returns ``(payload, filters)``, the payload
    with the metadata the handler stamped and the user in ``config.configurable``
    (``langgraph_auth_user``, ``langgraph_auth_user_id``, ``langgraph_auth_permissions``), the
    filters for the run's thread. Unchanged when auth is off."""
    user = user_of(api_request)
    if _authorizer is None or user is None:
        return payload, None
    payload = dict(payload)
    value = _run_value(payload, thread_id)
    filters = authorize(api_request, "threads", "create_run", value)
    payload["metadata"] = value.get("metadata") or {}
    return with_user(payload, stored_user(user)), filters


def stored_user(user) -> dict:
    """The user as JSON, to store with what runs later on their behalf (a cron)."""
    return _as_json(user)


def with_user(payload: dict, user: dict) -> dict:
    """``payload`` with ``user`` (JSON, ``stored_user``) in ``config.configurable`` as the graph sees
    it: ``langgraph_auth_user``, ``langgraph_auth_user_id``, ``langgraph_auth_permissions``."""
    payload = dict(payload)
    config = dict(payload.get("config") or {})
    configurable = dict(config.get("configurable") or {})
    configurable.update(langgraph_auth_user=dict(user), langgraph_auth_user_id=user.get("identity"),
                        langgraph_auth_permissions=list(user.get("permissions") or []))
    config["configurable"] = configurable
    payload["config"] = config
    return payload


async def aauthorize_run(api_request, payload: dict, *, thread_id) -> tuple[dict, dict | None]:
    if _authorizer is None or user_of(api_request) is None:
        return payload, None
    return await sync_to_async(authorize_run, thread_sensitive=False)(api_request, payload, thread_id=thread_id)


def value_of(**fields: Any) -> dict:
    """A handler's value: the fields given, without the ones that are None."""
    return {key: item for key, item in fields.items() if item is not None}
