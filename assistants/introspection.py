"""Selectors describing an assistant's graph: its drawing, JSON schemas and subgraphs.

A compiled graph is inspected in the calling thread. A factory is called on the runtime loop with
the assistant's config and inspected there, inside its context (it may hold resources open).
Schemas LangGraph cannot generate are ``null``, as the reference reports them.
"""
import logging
import warnings
from typing import Any

from langchain_core.runnables.utils import create_model
from pydantic import TypeAdapter

from agentserver import runtime
from agentserver.api.exceptions import InvalidInput
from agentserver.graphs import registry

logger = logging.getLogger(__name__)

# Keys of ``configurable`` that the server fills in itself; not part of an assistant's config schema.
SERVER_CONFIG_KEYS = ("__pregel_checkpointer", "__pregel_store", "checkpoint_id", "checkpoint_ns", "thread_id")
NO_VISUALIZATION = "The graph does not support visualization"


def _named(graph, graph_id):
    """Unnamed graphs take their graph id as name (it titles the state schema)."""
    return graph.copy(update={"name": graph_id}) if graph.name == "LangGraph" else graph


def _factory_config(assistant):
    config = dict(assistant.config or {})
    config["configurable"] = {**(config.get("configurable") or {}),
                              "assistant_id": str(assistant.assistant_id), "graph_id": assistant.graph_id}
    return config


def _inspect(*, assistant, work):
    """``work(graph)`` on the assistant's graph; NotImplementedError means it cannot be drawn."""
    graph_id = assistant.graph_id
    try:
        graph = registry.base_graph(graph_id)
        if graph is not None:
            return work(_named(graph, graph_id))

        async def _in_factory_context():
            async with registry.graph(graph_id, config=_factory_config(assistant),
                                      access_context="assistants.read") as built:
                return work(_named(built, graph_id))

        return runtime.call(_in_factory_context())
    except NotImplementedError:
        raise InvalidInput(NO_VISUALIZATION) from None


def _drawing(graph, xray):
    drawing = graph.get_graph(xray=xray).to_json()
    for node in drawing.get("nodes", []):
        data = node.get("data")
        if isinstance(data, dict):
            data.pop("id", None)
    return drawing


def get_graph_drawing(*, assistant, xray=False):
    """``graph.get_graph(xray=...).to_json()`` without LangChain's class path in node data."""
    return _inspect(assistant=assistant, work=lambda graph: _drawing(graph, xray))


def get_graph_mermaid(*, assistant, xray=False):
    """LangGraph's Mermaid text of the assistant's graph (``graph.get_graph(xray=...).draw_mermaid()``)."""
    return _inspect(assistant=assistant, work=lambda graph: graph.get_graph(xray=xray).draw_mermaid())


def _describable(annotation):
    try:
        TypeAdapter(annotation).json_schema()
    except Exception:  # noqa: BLE001 - a type pydantic cannot describe
        return False
    return True


def _state_schema(graph):
    """A model with one optional field per output channel, typed by what the channel accepts."""
    fields = {}
    for key in graph.stream_channels_list:
        update_type = graph.channels[key].UpdateType
        fields[key] = (update_type if _describable(update_type) else Any, None)
    return create_model(graph.get_name("State"), **fields).model_json_schema()


def _config_schema(graph):
    """The schema of ``config.configurable`` only (not of the whole RunnableConfig)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = graph.config_schema()
    fields = getattr(model, "model_fields", None) or {}
    if "configurable" not in fields:
        return {}
    schema = TypeAdapter(fields["configurable"].annotation).json_schema()
    for key in SERVER_CONFIG_KEYS:
        schema.get("properties", {}).pop(key, None)
    return schema


def _safely(graph, what, make):
    try:
        return make(graph)
    except Exception as exc:  # noqa: BLE001 - the reference reports such a schema as null
        logger.warning("Failed to get %s schema for graph %s: %s", what, graph.name, exc)
        return None


def graph_schemas(graph):
    """input/output/state/config/context JSON schemas of a compiled graph."""
    return {
        "input_schema": _safely(graph, "input", lambda g: g.get_input_jsonschema()),
        "output_schema": _safely(graph, "output", lambda g: g.get_output_jsonschema()),
        "state_schema": _safely(graph, "state", _state_schema),
        "config_schema": _safely(graph, "config", _config_schema),
        "context_schema": _safely(graph, "context", lambda g: g.get_context_jsonschema()),
    }


def get_schemas(*, assistant):
    schemas = _inspect(assistant=assistant, work=graph_schemas)
    return {"graph_id": assistant.graph_id, **schemas}


def get_subgraph_schemas(*, assistant, namespace=None, recurse=False):
    """``{namespace: schemas}`` of the graph's subgraphs (only ``namespace`` when given)."""

    def work(graph):
        return {ns: graph_schemas(sub) for ns, sub in graph.get_subgraphs(namespace=namespace, recurse=recurse)}

    return _inspect(assistant=assistant, work=work)
