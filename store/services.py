"""Writes to the long-term memory store: the same LangGraph store the graphs get as ``runtime.store``."""
from langgraph.store.base import NOT_PROVIDED, InvalidNamespaceError

from agentserver import persistence, runtime
from agentserver.api.exceptions import InvalidInput


async def _aput(namespace, key, value, index, ttl):
    store = await persistence.get_store()
    await store.aput(namespace, key, value, index=index, ttl=ttl)


async def _adelete(namespace, key):
    store = await persistence.get_store()
    await store.adelete(namespace, key)


def put_item(*, namespace, key, value, index=None, ttl=NOT_PROVIDED):
    """Create or replace the item ``key`` in ``namespace``; ``ttl`` in minutes (not given: the store's
    default TTL, if one is configured; None: never expires)."""
    try:
        runtime.call(_aput(tuple(namespace), key, value, index, ttl))
    except InvalidNamespaceError as exc:
        raise InvalidInput(f"namespace: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"value: {exc}") from None


def delete_item(*, namespace, key):
    """Delete the item; deleting a missing item is not an error (as the reference)."""
    try:
        runtime.call(_adelete(tuple(namespace), key))
    except InvalidNamespaceError as exc:
        raise InvalidInput(f"namespace: {exc}") from None
