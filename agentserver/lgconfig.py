"""The non-graph sections of ``langgraph.json``: ``store``, ``checkpointer`` and ``webhooks``.

    "store": {"index": {"embed": "openai:text-embedding-3-small" | "./embed.py:embed", "dims": 1536,
                        "fields": ["text"]},
              "ttl": {"default_ttl": 60, "refresh_on_read": true, "sweep_interval_minutes": 5}},
    "checkpointer": {"ttl": {"strategy": "delete", "default_ttl": 43200, "sweep_interval_minutes": 10}},
    "webhooks": {"url": {...}, "headers": {...}, "env_prefix": "LG_WEBHOOK_"}

Read once per process; a malformed section raises GraphConfigError naming the key (the server then
does not start).
"""
import functools
import json
from pathlib import Path

from agentserver.conf import agent_settings
from agentserver.graphs import GraphConfigError
from agentserver.specs import load_attr


@functools.lru_cache(maxsize=4)
def _read(path):
    path = Path(path).resolve()
    try:
        return json.loads(path.read_text()), path.parent
    except (OSError, json.JSONDecodeError) as exc:
        raise GraphConfigError(f"cannot read {path}: {exc}") from exc


def raw_config():
    """(the parsed langgraph.json, its directory)."""
    return _read(str(agent_settings.GRAPHS_CONFIG))


def section(name):
    config, _ = raw_config()
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise GraphConfigError(f"langgraph.json: '{name}' must be an object")
    return value


def _number(config, key, where, *, positive=True):
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and value <= 0):
        raise GraphConfigError(f"langgraph.json: '{where}.{key}' must be a positive number of minutes")
    return float(value)


def _import_function(spec, base_dir):
    return load_attr(spec, base_dir=base_dir, label=f"langgraph.json: 'store.index.embed' {spec!r}",
                     error=GraphConfigError, prefix="agentserver_embed")


def _embed(spec, base_dir):
    """A function for ``./file.py:fn`` or ``package.module:fn``; a provider string otherwise
    (``openai:text-embedding-3-small``, resolved by LangChain's ``init_embeddings``)."""
    if not isinstance(spec, str) or ":" not in spec:
        raise GraphConfigError("langgraph.json: 'store.index.embed' must be 'provider:model' or './file.py:function'")
    target = spec.rpartition(":")[0]
    if target.endswith(".py") or "/" in target or "." in target:
        return _import_function(spec, base_dir)
    return spec


def store_index():
    """The store's vector index config (for the LangGraph store constructors), or None."""
    index = section("store").get("index")
    if not index:
        return None
    if not isinstance(index, dict) or not isinstance(index.get("dims"), int) or index["dims"] <= 0:
        raise GraphConfigError("langgraph.json: 'store.index.dims' must be a positive integer")
    fields = index.get("fields") or ["$"]
    if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
        raise GraphConfigError("langgraph.json: 'store.index.fields' must be a list of field paths")
    _, base_dir = raw_config()
    config = {**index, "embed": _embed(index.get("embed"), base_dir), "fields": fields}
    config["text_fields"] = fields  # the SQLite store reads this key
    return config


def store_ttl():
    ttl = section("store").get("ttl")
    if not ttl:
        return None
    if not isinstance(ttl, dict):
        raise GraphConfigError("langgraph.json: 'store.ttl' must be an object")
    refresh = ttl.get("refresh_on_read", True)
    if not isinstance(refresh, bool):
        raise GraphConfigError("langgraph.json: 'store.ttl.refresh_on_read' must be true or false")
    return {"default_ttl": _number(ttl, "default_ttl", "store.ttl"), "refresh_on_read": refresh,
            "sweep_interval_minutes": _number(ttl, "sweep_interval_minutes", "store.ttl")}


def checkpointer_ttl():
    """{"strategy", "default_ttl" (minutes or None), "sweep_interval_minutes"}."""
    ttl = section("checkpointer").get("ttl") or {}
    if not isinstance(ttl, dict):
        raise GraphConfigError("langgraph.json: 'checkpointer.ttl' must be an object")
    strategy = ttl.get("strategy", "delete")
    if strategy not in ("delete", "keep_latest"):
        raise GraphConfigError("langgraph.json: 'checkpointer.ttl.strategy' must be 'delete' or 'keep_latest'")
    return {"strategy": strategy, "default_ttl": _number(ttl, "default_ttl", "checkpointer.ttl"),
            "sweep_interval_minutes": _number(ttl, "sweep_interval_minutes", "checkpointer.ttl")}
