"""Reads of the long-term memory store (items are returned as the reference does: ``Item.dict()``)."""
from datetime import UTC

from agentserver import persistence, runtime
from agentserver.api.exceptions import InvalidInput


def item_json(item):
    """``Item.dict()`` with aware UTC timestamps (the SQLite store keeps naive UTC ones, which a
    JavaScript client would read as local time)."""
    data = item.dict()
    for key in ("created_at", "updated_at"):
        value = getattr(item, key, None)
        if value is not None and hasattr(value, "isoformat"):
            data[key] = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return data


async def _aget(namespace, key, refresh_ttl):
    store = await persistence.get_store()
    return await store.aget(namespace, key, refresh_ttl=refresh_ttl)


async def _asearch(namespace_prefix, kwargs):
    store = await persistence.get_store()
    return await store.asearch(namespace_prefix, **kwargs)


async def _alist_namespaces(kwargs):
    store = await persistence.get_store()
    return await store.alist_namespaces(**kwargs)


def get_item(*, namespace, key, refresh_ttl=None):
    """The item as a dict, or None when there is none (the reference answers ``null``)."""
    item = runtime.call(_aget(tuple(namespace), key, refresh_ttl))
    return item_json(item) if item is not None else None


def search_items(*, namespace_prefix, filter=None, limit=10, offset=0, query=None, refresh_ttl=None):
    """Items under ``namespace_prefix``: newest first, or ranked by ``query`` with a vector index."""
    kwargs = {"filter": filter, "limit": limit, "offset": offset, "query": query or None,
              "refresh_ttl": refresh_ttl}
    try:
        items = runtime.call(_asearch(tuple(namespace_prefix), kwargs))
    except (ValueError, TypeError) as exc:  # e.g. an unknown filter operator
        raise InvalidInput(f"filter: {exc}") from None
    return [item_json(item) for item in items]


def list_namespaces(*, prefix=None, suffix=None, max_depth=None, limit=100, offset=0):
    kwargs = {"prefix": prefix, "suffix": suffix, "max_depth": max_depth, "limit": limit, "offset": offset}
    return [list(ns) for ns in runtime.call(_alist_namespaces(kwargs))]
