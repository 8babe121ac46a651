"""Graph loading from a ``langgraph.json`` in the format langgraph-cli uses.

    {"dependencies": ["."], "graphs": {"agent": "./agent.py:graph", "other": "pkg.mod:make"},
     "env": {"KEY": "value"} | "./.env"}

A graph spec points at a compiled graph, a ``StateGraph`` builder (compiled here) or a factory: a
callable taking no argument, the run's ``RunnableConfig``, a ``langgraph_sdk.runtime.ServerRuntime``
or both (``(config, runtime)``; a parameter is the runtime when its annotation names ``ServerRuntime``
or, unannotated, when it is called ``runtime``), returning either of the former (sync, async, or as a
context manager). Paths are relative to the directory of ``langgraph.json``.
The server attaches its own checkpointer and store to every graph.
"""
import contextlib
import inspect
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from langgraph.graph import StateGraph
from langgraph.pregel import Pregel

from agentserver.conf import agent_settings
from agentserver.specs import load_attr


class GraphConfigError(Exception):
    """langgraph.json or one of its graphs cannot be loaded."""


@dataclass
class GraphSpec:
    graph_id: str
    spec: str
    obj: object = None
    description: str | None = None
    factory: bool = False
    factory_takes_config: bool = False
    factory_args: tuple = ()  # "config" / "runtime", one per parameter the factory is called with
    _compiled: Pregel | None = field(default=None, repr=False)
    _attached: tuple | None = field(default=None, repr=False)

    def base_graph(self):
        """The graph without a checkpointer (for schemas and drawings); factories get an empty config."""
        if self._compiled is None and not self.factory:
            self._compiled = _as_pregel(self.obj, self.graph_id)
        return self._compiled

    def attached(self, checkpointer, store):
        """The graph with ``checkpointer`` and ``store`` attached, made once per pair (not a factory)."""
        cached = self._attached
        if cached is None or cached[0] is not checkpointer or cached[1] is not store:
            graph = self.base_graph().copy(update={"checkpointer": checkpointer, "store": store})
            cached = self._attached = (checkpointer, store, graph)
        return cached[2]


def _as_pregel(obj, graph_id):
    if isinstance(obj, Pregel):
        return obj
    if isinstance(obj, StateGraph):
        return obj.compile()
    raise GraphConfigError(
        f"Graph '{graph_id}': expected a compiled graph, a StateGraph or a factory, got {type(obj).__name__}"
    )


def _import_spec(graph_id, spec, base_dir):
    return load_attr(spec, base_dir=base_dir, label=f"Graph '{graph_id}'", error=GraphConfigError,
                     prefix=f"agentserver_graphs.{graph_id}")


def _make_spec(graph_id, raw, base_dir):
    description = None
    if isinstance(raw, dict):
        description = raw.get("description")
        raw = raw.get("path")
    obj = _import_spec(graph_id, raw, base_dir)
    spec = GraphSpec(graph_id=graph_id, spec=raw, obj=obj, description=description)
    if isinstance(obj, (Pregel, StateGraph)):
        spec.base_graph()
    elif callable(obj):
        spec.factory = True
        spec.factory_args = _factory_args(obj)
        spec.factory_takes_config = "config" in spec.factory_args
    else:
        _as_pregel(obj, graph_id)
    return spec


_RUNTIME_NAMES = ("ServerRuntime", "_ExecutionRuntime", "_ReadRuntime")


def _is_runtime_param(param):
    annotation = param.annotation
    if annotation is param.empty:
        return param.name == "runtime"
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return any(name in text for name in _RUNTIME_NAMES)


def _factory_args(obj):
    """What to pass a factory, by its signature: ("config",), ("runtime",), ("config", "runtime"), ()."""
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return ("config",)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    chosen = required or [p for p in positional[:2] if _is_runtime_param(p)]
    return tuple("runtime" if _is_runtime_param(p) else "config" for p in chosen[:2])


def server_runtime(*, access_context, store=None, context=None):
    """The ``langgraph_sdk.runtime.ServerRuntime`` a factory gets: the execution variant (with the
    run's ``context``) for ``threads.create_run``, the read variant otherwise."""
    from langgraph_sdk.runtime import _ExecutionRuntime, _ReadRuntime

    if access_context == "threads.create_run":
        return _ExecutionRuntime(access_context=access_context, store=store, context=context)
    return _ReadRuntime(access_context=access_context, store=store)


def _apply_env(env, base_dir):
    if isinstance(env, dict):
        for key, value in env.items():
            os.environ.setdefault(str(key), str(value))
    elif isinstance(env, str):
        path = base_dir / env
        if not path.is_file():
            raise GraphConfigError(f"env file not found: {path}")
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                os.environ.setdefault(key.strip(), value.strip().strip("\"'"))


def load_config(path):
    """Parse ``langgraph.json`` and import every graph; raise GraphConfigError naming the culprit."""
    path = Path(path).resolve()
    if not path.is_file():
        raise GraphConfigError(f"langgraph.json not found at {path} (set LANGGRAPH_CONFIG)")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise GraphConfigError(f"{path} is not valid JSON: {exc}") from exc
    graphs = config.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise GraphConfigError(f"{path}: 'graphs' must be a non-empty object")
    base_dir = path.parent
    _apply_env(config.get("env") or {}, base_dir)
    for dep in config.get("dependencies") or []:
        dep_path = str((base_dir / dep).resolve())
        if dep_path not in sys.path:
            sys.path.insert(0, dep_path)
    return {graph_id: _make_spec(graph_id, raw, base_dir) for graph_id, raw in graphs.items()}


class GraphRegistry:
    def __init__(self):
        self._specs = None
        self._lock = threading.Lock()

    @property
    def specs(self):
        if self._specs is None:
            with self._lock:
                if self._specs is None:
                    self._specs = load_config(agent_settings.GRAPHS_CONFIG)
        return self._specs

    def reset(self):
        self._specs = None

    def graph_ids(self):
        return list(self.specs)

    def get_spec(self, graph_id):
        return self.specs.get(graph_id)

    def base_graph(self, graph_id):
        spec = self.specs[graph_id]
        if spec.factory:
            return None
        return spec.base_graph()

    @contextlib.asynccontextmanager
    async def graph(self, graph_id, *, config, checkpointer=None, store=None,
                    access_context="threads.read", context=None):
        """Yield the graph for one run, with the server's checkpointer and store attached.

        ``access_context`` and ``context`` are what a factory taking a ``ServerRuntime`` sees."""
        spec = self.specs[graph_id]
        if not spec.factory:  # a compiled graph serves concurrent runs: one copy per checkpointer/store
            yield spec.attached(checkpointer, store)
            return
        runtime = server_runtime(access_context=access_context, store=store, context=context)
        async with _resolve(spec, config, runtime) as graph:
            yield graph.copy(update={"checkpointer": checkpointer, "store": store})


@contextlib.asynccontextmanager
async def _resolve(spec, config, runtime=None):
    if not spec.factory:
        yield spec.base_graph()
        return
    args = [runtime if kind == "runtime" else config for kind in spec.factory_args]
    value = spec.obj(*args)
    if inspect.isawaitable(value):
        value = await value
    if hasattr(value, "__aenter__"):
        async with value as graph:
            yield _as_pregel(graph, spec.graph_id)
    elif hasattr(value, "__enter__") and not isinstance(value, (Pregel, StateGraph)):
        with value as graph:
            yield _as_pregel(graph, spec.graph_id)
    else:
        yield _as_pregel(value, spec.graph_id)


async def build_sample(spec, *, access_context="assistants.read"):
    """Call ``spec``'s factory as the server would (a config naming the graph and its system
    assistant) and return the graph it builds; raises what the factory raises."""
    from agentserver.ids import system_assistant_id

    config = {"configurable": {"graph_id": spec.graph_id, "assistant_id": str(system_assistant_id(spec.graph_id))}}
    async with _resolve(spec, config, server_runtime(access_context=access_context)) as graph:
        return graph


registry = GraphRegistry()
