"""A graph that returns the x-* keys of its config.configurable (for http.configurable_headers)."""
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict


class HeadersState(TypedDict, total=False):
    headers: dict


def read_headers(state: HeadersState, config):
    configurable = config.get("configurable") or {}
    return {"headers": {key: value for key, value in configurable.items() if key.startswith("x-")}}


builder = StateGraph(HeadersState)
builder.add_node("read_headers", read_headers)
builder.add_edge(START, "read_headers")
builder.add_edge("read_headers", END)
config_echo = builder.compile()
