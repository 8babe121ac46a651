"""langgraph.json loading: file and module specs, builders, factories, env, dependencies, clear errors."""
import json
import os
import subprocess
import sys

import pytest

from agentserver.graphs import GraphConfigError, GraphRegistry, load_config
from tests.conftest import ROOT

GRAPH_MODULE = '''
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    x: int

def inc(state: S):
    return {"x": (state.get("x") or 0) + 1}

builder = StateGraph(S).add_node("inc", inc).add_edge(START, "inc").add_edge("inc", END)
compiled = builder.compile()
not_a_graph = 42

def factory(config):
    return builder.compile()

def no_arg_factory():
    return compiled
'''


def write_config(tmp_path, graphs, **extra):
    (tmp_path / "agent").mkdir(exist_ok=True)
    (tmp_path / "agent" / "mod.py").write_text(GRAPH_MODULE)
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": graphs, **extra}))
    return path


def test_loads_compiled_builder_and_factories(tmp_path):
    path = write_config(tmp_path, {
        "a": "./agent/mod.py:compiled", "b": "./agent/mod.py:builder",
        "c": "./agent/mod.py:factory", "d": {"path": "./agent/mod.py:no_arg_factory", "description": "d"},
    })
    specs = load_config(path)
    assert set(specs) == {"a", "b", "c", "d"}
    assert not specs["a"].factory and specs["b"].base_graph() is not None
    assert specs["c"].factory and specs["c"].factory_takes_config
    assert specs["d"].factory and not specs["d"].factory_takes_config and specs["d"].description == "d"


def test_module_spec_env_and_dependencies(tmp_path):
    path = write_config(tmp_path, {"m": "agent.mod:compiled"}, dependencies=["."], env={"AGENTSERVER_T_ENV": "yes"})
    specs = load_config(path)
    assert "m" in specs and os.environ["AGENTSERVER_T_ENV"] == "yes"


@pytest.mark.parametrize("spec,message", [
    ("./agent/missing.py:graph", "file not found"),
    ("./agent/mod.py:nope", "has no attribute 'nope'"),
    ("./agent/mod.py:not_a_graph", "expected a compiled graph"),
    ("no_colon", "must look like"),
    ("no_such_module_xyz:graph", "failed to import"),
])
def test_bad_specs_name_the_graph_and_the_reason(tmp_path, spec, message):
    path = write_config(tmp_path, {"broken": spec})
    with pytest.raises(GraphConfigError) as info:
        load_config(path)
    assert "broken" in str(info.value) and message in str(info.value)


def test_bad_config_files(tmp_path):
    with pytest.raises(GraphConfigError, match="not found"):
        load_config(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(GraphConfigError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")
    (tmp_path / "empty.json").write_text('{"graphs": {}}')
    with pytest.raises(GraphConfigError, match="non-empty"):
        load_config(tmp_path / "empty.json")


async def test_registry_attaches_checkpointer_to_factory_graphs(tmp_path, settings):
    path = write_config(tmp_path, {"c": "./agent/mod.py:factory"})
    settings.AGENTSERVER = {**settings.AGENTSERVER, "GRAPHS_CONFIG": str(path)}
    from langgraph.checkpoint.memory import InMemorySaver

    registry = GraphRegistry()
    saver = InMemorySaver()
    async with registry.graph("c", config={}, checkpointer=saver, store=None) as graph:
        assert graph.checkpointer is saver
        result = await graph.ainvoke({"x": 1}, {"configurable": {"thread_id": "t"}})
    assert result == {"x": 2} and registry.graph_ids() == ["c"]
    assert (await saver.aget_tuple({"configurable": {"thread_id": "t"}})) is not None


def test_server_refuses_to_start_with_a_broken_graph(tmp_path):
    path = write_config(tmp_path, {"broken": "./agent/mod.py:nope"})
    env = {**os.environ, "LANGGRAPH_CONFIG": str(path), "AGENTSERVER_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([sys.executable, "-c", "import agentserver.asgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Graph 'broken'" in result.stderr and "has no attribute 'nope'" in result.stderr
